import { CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import type { Pool } from 'pg';
import type { PublicJwk, SigningKeys } from '../auth/signing-keys';
import type { Logger } from '../platform/logger';
import { readModelDb } from '../projections/read-models';
import type { AuditTables } from './tables';
import type { ChainHead } from './verify';

/** `typ` of a signed head's JWS header. */
export const HEAD_TYPE = 'postledger-audit-head+jws';

/** A chain head signed by the service: keep it as a receipt. */
export interface SignedHead extends ChainHead {
  signedAt: string;
  /** Key id of the Ed25519 key that signed (in the JWS header too). */
  kid: string;
  /** Compact JWS (EdDSA) whose payload is `{"position","link","signedAt"}`. */
  jws: string;
}

/** Where audit heads are generated and kept (beside the access-token key, never the same key). */
export const AUDIT_KEY_FILE = 'keys/audit-head-ed25519.json';

/**
 * Signs the head of the tamper-evidence chain and keeps every signed head in
 * `pl_audit_heads`. The key is an Ed25519 key of its own, loaded like the access-token keys
 * (`loadSigningKeys` with `keyFile: AUDIT_KEY_FILE`).
 *
 * ```ts
 * const heads = new ChainHeads(pool, await loadSigningKeys({ dataDir, keyFile: AUDIT_KEY_FILE }));
 * await heads.signLatest(); // { position: '1042', link: '9f…', signedAt, kid, jws }
 * ```
 */
export class ChainHeads {
  private readonly db: Kysely<AuditTables>;

  constructor(
    pool: Pool,
    readonly keys: SigningKeys,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = readModelDb(pool).withTables<AuditTables>();
  }

  /** The public keys that verify heads (the current one first), as a JWK set. */
  get jwks(): { keys: PublicJwk[] } {
    return this.keys.jwks;
  }

  /** Signs the chain's current head unless it is already signed; returns the latest signed head. */
  async signLatest(): Promise<SignedHead | undefined> {
    const head = await this.db.selectFrom('pl_audit_chain').select(['position', 'link']).orderBy('position', 'desc').limit(1).executeTakeFirst();
    const latest = await this.latest();
    if (!head || (latest && BigInt(latest.position) >= BigInt(head.position))) return latest;
    const signedAt = this.now().toISOString();
    const payload = { position: head.position, link: head.link, signedAt };
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.kid, typ: HEAD_TYPE })
      .sign(this.keys.privateKey);
    // two signers at once: the first one's head stands
    await this.db
      .insertInto('pl_audit_heads')
      .values({ position: head.position, link: head.link, signed_at: new Date(signedAt), kid: this.keys.kid, jws })
      .onConflict((oc) => oc.column('position').doNothing())
      .execute();
    return this.latest();
  }

  /** The most recent signed head, if any. */
  async latest(): Promise<SignedHead | undefined> {
    const row = await this.db.selectFrom('pl_audit_heads').select(['position', 'link', 'signed_at', 'kid', 'jws']).orderBy('position', 'desc').limit(1).executeTakeFirst();
    return row && { position: row.position, link: row.link, signedAt: row.signed_at.toISOString(), kid: row.kid, jws: row.jws };
  }
}

/**
 * Checks a receipt's signature with the published keys and returns what it signed; throws
 * when no key of the set verifies it.
 *
 * ```ts
 * const head = await verifySignedHead(receipt.jws, (await fetch('/v1/audit/head').then((r) => r.json())).keys);
 * ```
 */
export async function verifySignedHead(jws: string, jwks: { keys: readonly JWK[] }): Promise<ChainHead & { signedAt: string; kid: string }> {
  const kid = headerKid(jws);
  const jwk = jwks.keys.find((key) => key.kid === kid);
  if (!jwk) throw new Error(`no published key has the kid "${kid}" of this receipt`);
  const { payload, protectedHeader } = await compactVerify(jws, await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA'), { algorithms: ['EdDSA'] });
  if (protectedHeader.typ !== HEAD_TYPE) throw new Error('this JWS is not a signed audit head');
  const head = JSON.parse(new TextDecoder().decode(payload)) as { position: string; link: string; signedAt: string };
  return { position: head.position, link: head.link, signedAt: head.signedAt, kid };
}

function headerKid(jws: string): string {
  try {
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    if (typeof header.kid === 'string') return header.kid;
  } catch {
    // reported below
  }
  throw new Error('the receipt is not a compact JWS with a kid');
}

/**
 * Signs the chain head every `intervalMs` (in the projector role, where the chain is kept).
 *
 * ```ts
 * const signer = new HeadSigner(heads, 60_000, logger); signer.start(); … await signer.stop();
 * ```
 */
export class HeadSigner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly heads: ChainHeads,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.running = this.heads.signLatest().catch((error: unknown) => this.logger.warn({ err: error }, 'signing the audit chain head failed; trying again at the next interval'));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
