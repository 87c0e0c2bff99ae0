import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import { InvalidApiKey } from './errors';
import { randomSecret, sha256 } from './opaque-tokens';

const KEY_PATTERN = /^plk_([a-z2-7]{8})_([A-Za-z0-9_-]{43})$/;
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** 40 bits of prefix: a collision is rare, and then another prefix is drawn. */
const PREFIX_ATTEMPTS = 3;

/** What a verified key may do, and on behalf of which workspace. */
export interface ApiKeyIdentity {
  apiKeyId: string;
  workspaceId: string;
  scopes: string[];
  name: string;
  /** The user who created the key: when they are deactivated the key stops working. */
  createdBy: string;
}

/** A key as listed: everything but the secret. */
export interface ApiKeySummary {
  id: string;
  workspaceId: string;
  name: string;
  /** The public part of the key (`plk_<prefix>_…`), to recognise it. */
  prefix: string;
  scopes: string[];
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** What `create` needs; `id` is the aggregate id of the key (stream `apikey-<id>`). */
export interface NewApiKey {
  id: string;
  workspaceId: string;
  name: string;
  scopes: readonly string[];
  createdBy: string;
}

export interface ApiKeyOptions {
  now?: () => Date;
}

type KeyRow = { id: string; workspace_id: string; name: string; scopes: string[]; secret_hash: Buffer; revoked_at: Date | null; created_by: string };
type SummaryRow = Omit<KeyRow, 'secret_hash'> & { prefix: string; created_at: Date };

/**
 * Workspace API keys `plk_<prefix>_<secret>` in `pl_api_keys`. The prefix finds the row; only the
 * SHA-256 of the secret is stored, so the full key exists only in the creation response.
 *
 * ```ts
 * const apiKeys = new ApiKeys(pool);
 * const { key } = await apiKeys.create({ id, workspaceId, name: 'publisher', scopes: ['posts:publish'], createdBy: userId });
 * ```
 */
export class ApiKeys {
  private readonly now: () => Date;

  constructor(
    private readonly pool: Pool,
    options: ApiKeyOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Creates a key and returns it in full, the one time it is available.
   *
   * ```ts
   * const { key, prefix } = await apiKeys.create({ id: randomUUID(), workspaceId, name: 'ai team', scopes: ['generations:write'], createdBy });
   * // key: 'plk_k3j9x2ab_…43 characters…'
   * ```
   */
  async create(input: NewApiKey): Promise<{ key: string; prefix: string }> {
    const secret = randomSecret();
    for (let attempt = 1; ; attempt++) {
      const prefix = this.newPrefix();
      try {
        await this.pool.query(
          `insert into pl_api_keys (id, workspace_id, name, prefix, secret_hash, scopes, created_by, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [input.id, input.workspaceId, input.name, prefix, sha256(secret), [...input.scopes], input.createdBy, this.now()],
        );
        return { key: `plk_${prefix}_${secret}`, prefix };
      } catch (error) {
        const { code, constraint } = error as { code?: string; constraint?: string };
        if (code !== '23505' || constraint !== 'pl_api_keys_prefix_key' || attempt === PREFIX_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Who a presented key speaks for. Throws `InvalidApiKey` (its `reason` is for logs) when the
   * key is malformed, unknown, has the wrong secret (compared in constant time) or is revoked.
   *
   * ```ts
   * const { workspaceId, scopes } = await apiKeys.verify(header.slice('ApiKey '.length));
   * ```
   */
  async verify(key: string): Promise<ApiKeyIdentity> {
    const match = typeof key === 'string' ? KEY_PATTERN.exec(key) : null;
    if (!match) throw new InvalidApiKey('malformed');
    const { rows } = await this.pool.query<KeyRow>(
      'select id, workspace_id, name, scopes, secret_hash, revoked_at, created_by from pl_api_keys where prefix = $1',
      [match[1]],
    );
    const row = rows[0];
    if (!row) throw new InvalidApiKey('unknown_prefix');
    if (!timingSafeEqual(sha256(match[2]!), row.secret_hash)) throw new InvalidApiKey('wrong_secret');
    if (row.revoked_at) throw new InvalidApiKey('revoked');
    return { apiKeyId: row.id, workspaceId: row.workspace_id, scopes: row.scopes, name: row.name, createdBy: row.created_by };
  }

  /**
   * Revokes a key of a workspace; it stops verifying at once. Idempotent. Returns `false` when
   * the workspace has no key with this id.
   *
   * ```ts
   * if (!(await apiKeys.revoke(keyId, workspaceId))) throw notFound();
   * ```
   */
  async revoke(id: string, workspaceId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'update pl_api_keys set revoked_at = coalesce(revoked_at, $3) where id = $1 and workspace_id = $2',
      [id, workspaceId, this.now()],
    );
    return rowCount === 1;
  }

  /**
   * A workspace's keys, oldest first, revoked ones included (with `revokedAt`); never a secret.
   *
   * ```ts
   * res.json({ items: await apiKeys.list(workspaceId) });
   * ```
   */
  async list(workspaceId: string): Promise<ApiKeySummary[]> {
    const { rows } = await this.pool.query<SummaryRow>(
      `select id, workspace_id, name, prefix, scopes, created_by, created_at, revoked_at
         from pl_api_keys where workspace_id = $1 order by created_at, id`,
      [workspaceId],
    );
    return rows.map((row) => ({
      id: row.id,
      workspaceId: row.workspace_id,
      name: row.name,
      prefix: row.prefix,
      scopes: row.scopes,
      createdBy: row.created_by,
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
    }));
  }

  private newPrefix(): string {
    return [...randomBytes(8)].map((byte) => PREFIX_ALPHABET[byte % 32]).join('');
  }
}
