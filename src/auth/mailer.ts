import type { Logger } from 'pino';

/** Sends the emails of the auth flows. */
export interface Mailer {
  /** Mails `token` (to be pasted into the reset form or built into a link) to `to`. */
  sendPasswordReset(to: string, token: string): Promise<void>;
}

/**
 * The mailer of development and tests: writes each mail as one structured log line instead of
 * sending it. The address and the token are censored like every email and token in the logs,
 * so the line only says that a mail would have gone out; tests capture mails with a Mailer of their own.
 *
 * ```ts
 * const mailer: Mailer = new LogMailer(logger);
 * await mailer.sendPasswordReset('ann@example.com', token);
 * // {"level":30,"mail":"password-reset","email":"[REDACTED]","token":"[REDACTED]","msg":"mail not sent (development mailer)"}
 * ```
 */
export class LogMailer implements Mailer {
  constructor(private readonly logger: Pick<Logger, 'info'>) {}

  async sendPasswordReset(to: string, token: string): Promise<void> {
    this.logger.info({ mail: 'password-reset', email: to, token }, 'mail not sent (development mailer)');
  }
}
