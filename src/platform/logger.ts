import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

const SECRET_FIELDS = ['password', 'token', 'refreshToken', 'accessToken', 'secret', 'apiKey'];
/** Personal data (DESIGN.md): never logged, wherever a log call puts it. */
const PERSONAL_FIELDS = ['email', 'displayName', 'bio', 'avatarUrl', 'personal'];

/** Paths pino censors in every log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `*.${field}`),
  ...PERSONAL_FIELDS,
  ...PERSONAL_FIELDS.map((field) => `*.${field}`),
  ...PERSONAL_FIELDS.map((field) => `*.*.${field}`),
];

// `scheme://user:password@` — the user part and the password stop at characters a URL must encode
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"]*:)[^\s/?#@"]+@/gi;
// `?password=…`, `&access_token=…` and their kind in a query string
const SECRET_QUERY_PARAMS = /([?&](?:password|passwd|pwd|secret|token|access_token|refresh_token|api_?key|key)=)[^&\s#"]*/gi;

// `?q=…` (searches by email or name) and `?email=…`: personal data in a request's URL
const PERSONAL_QUERY_PARAMS = /([?&](?:q|email)=)[^&\s#"]*/gi;

/**
 * Masks the password of a URL, secret query parameters and searches that may name a person
 * (`q`, `email`), wherever they appear in `text`; the text need not be a valid URL (an invalid connection string is shown redacted too).
 *
 * ```ts
 * redactUrl('postgres://app:s3cret@db:5432/ledger'); // 'postgres://app:***@db:5432/ledger'
 * ```
 */
export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1***@').replace(SECRET_QUERY_PARAMS, '$1***').replace(PERSONAL_QUERY_PARAMS, '$1***');
}

/**
 * The service's JSON logger: one object a line, ISO times, level names, secrets and personal
 * data (email, names, bio, avatar, a whole `personal` group) censored by path, and
 * connection-string passwords masked in the finished line (messages, errors, bindings).
 *
 * ```ts
 * const logger = createLogger('info');
 * logger.info({ migrations }, 'applied migrations');
 * ```
 */
export function createLogger(level: pino.LevelWithSilent, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: 'postledger',
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    hooks: { streamWrite: redactUrl },
  };
  return destination ? pino(options, destination) : pino(options);
}
