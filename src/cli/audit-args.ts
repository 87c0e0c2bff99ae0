import type { EventFilter } from '../eventstore/port';

/** `audit verify [--receipt <file>]`. */
export interface AuditVerifyCommand {
  command: 'audit-verify';
  receipt?: string;
}

/** `replay --from <position> [--to <position>] [--to-kafka <topic>] [--filter types=…|categories=…]…`. */
export interface ReplayCommand {
  command: 'replay';
  from: bigint;
  to?: bigint;
  toKafka?: string;
  filter: EventFilter;
}

type Invalid = { command: 'invalid'; error: string };

const POSITION = /^\d{1,19}$/;
const TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
const CATEGORY = /^[a-z][a-z0-9]{0,39}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export const AUDIT_USAGE = `  audit verify [--receipt <file>]   recompute the tamper-evidence chain; print {ok, checked, firstBadPosition?};
                                    with a receipt (a saved GET /v1/audit/head), check it too (exit 1 if not ok)
  replay --from <position> [--to <position>] [--to-kafka <topic>] [--filter types=A,B] [--filter categories=c,d]
                                    the log as NDJSON on stdout (or published to a Kafka topic), progress on stderr
`;

/**
 * `postledger audit …`.
 *
 * ```ts
 * parseAudit(['verify', '--receipt', 'head.json']); // { command: 'audit-verify', receipt: 'head.json' }
 * ```
 */
export function parseAudit(rest: readonly string[]): AuditVerifyCommand | Invalid {
  const [action, ...flags] = rest;
  if (action !== 'verify') return { command: 'invalid', error: '"audit" takes: verify [--receipt <file>]' };
  if (flags.length === 0) return { command: 'audit-verify' };
  if (flags.length === 2 && flags[0] === '--receipt' && flags[1]) return { command: 'audit-verify', receipt: flags[1] };
  return { command: 'invalid', error: `"audit verify" takes only --receipt <file> (got "${flags.join(' ')}")` };
}

/**
 * `postledger replay …`; `--from` is required (0 for the whole log).
 *
 * ```ts
 * parseReplay(['--from', '0', '--filter', 'types=PostDrafted']); // { command: 'replay', from: 0n, filter: { types: ['PostDrafted'] } }
 * ```
 */
export function parseReplay(rest: readonly string[]): ReplayCommand | Invalid {
  const invalid = (error: string): Invalid => ({ command: 'invalid', error: `replay: ${error}` });
  const filter: { types?: string[]; categories?: string[] } = {};
  let from: bigint | undefined;
  let to: bigint | undefined;
  let toKafka: string | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i]!;
    const value = rest[i + 1];
    if (value === undefined) return invalid(`${flag} needs a value`);
    switch (flag) {
      case '--from':
      case '--to': {
        if (!POSITION.test(value)) return invalid(`${flag} must be a log position (digits), got "${value}"`);
        if (flag === '--from') from = BigInt(value);
        else to = BigInt(value);
        break;
      }
      case '--to-kafka':
        if (!TOPIC.test(value)) return invalid(`--to-kafka must be a Kafka topic name, got "${value}"`);
        toKafka = value;
        break;
      case '--filter': {
        const [name, list = ''] = value.split('=', 2);
        const items = list.split(',').map((s) => s.trim());
        if (name === 'types' && items.every((t) => TYPE.test(t))) filter.types = [...(filter.types ?? []), ...items];
        else if (name === 'categories' && items.every((c) => CATEGORY.test(c))) filter.categories = [...(filter.categories ?? []), ...items];
        else return invalid(`--filter takes types=<EventType,…> or categories=<category,…>, got "${value}"`);
        break;
      }
      default:
        return invalid(`unknown option "${flag}"`);
    }
  }
  if (from === undefined) return invalid('--from <position> is required (0 replays the whole log)');
  if (to !== undefined && to < from) return invalid('--to must not be before --from');
  return { command: 'replay', from, ...(to !== undefined ? { to } : {}), ...(toKafka !== undefined ? { toKafka } : {}), filter };
}
