import type { Pool } from 'pg';
import { EmailTaken } from './errors';

/** A user's login credential. */
export interface Credential {
  userId: string;
  /** As the user typed it (trimmed). */
  email: string;
  /** Argon2id PHC string from `hashPassword`. */
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

type CredentialRow = { user_id: string; email: string; password_hash: string; created_at: Date; updated_at: Date };

const COLUMNS = 'user_id, email, password_hash, created_at, updated_at';

/**
 * The form under which emails are compared and kept unique: trimmed and lower-cased.
 * (Shape is validated at the HTTP edge with zod's `.email()`.)
 *
 * ```ts
 * normalizeEmail('  Ann@Example.COM '); // 'ann@example.com'
 * ```
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Emails and password hashes, in `pl_credentials` outside the event log. The unique index on the
 * normalized email is what makes registration race-free: of concurrent registrations with one
 * email, exactly one `reserveEmail` succeeds.
 *
 * ```ts
 * const credentials = new Credentials(pool);
 * await credentials.reserveEmail(userId, email, await hashPassword(password));
 * ```
 */
export class Credentials {
  constructor(private readonly pool: Pool) {}

  /**
   * Claims `email` for a new user. Throws `EmailTaken` when another account has it. Call it
   * before appending the registration event, and `release` if that append fails.
   *
   * ```ts
   * await credentials.reserveEmail(userId, 'ann@example.com', passwordHash);
   * ```
   */
  async reserveEmail(userId: string, email: string, passwordHash: string): Promise<void> {
    try {
      await this.pool.query(
        'insert into pl_credentials (user_id, email, email_normalized, password_hash) values ($1, $2, $3, $4)',
        [userId, email.trim(), normalizeEmail(email), passwordHash],
      );
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (code === '23505' && constraint === 'pl_credentials_email_normalized_key') throw new EmailTaken();
      throw error;
    }
  }

  /**
   * Undoes `reserveEmail` (the registration could not be recorded), freeing the email.
   *
   * ```ts
   * try { await store.appendToStream(`user-${userId}`, [registered]); } catch (e) { await credentials.release(userId); throw e; }
   * ```
   */
  async release(userId: string): Promise<void> {
    await this.pool.query('delete from pl_credentials where user_id = $1', [userId]);
  }

  /**
   * The credential of the account with this email (compared normalized), if any.
   *
   * ```ts
   * const credential = await credentials.findByEmail(body.email);
   * ```
   */
  async findByEmail(email: string): Promise<Credential | undefined> {
    const { rows } = await this.pool.query<CredentialRow>(`select ${COLUMNS} from pl_credentials where email_normalized = $1`, [
      normalizeEmail(email),
    ]);
    return rows[0] && toCredential(rows[0]);
  }

  /**
   * The credential of a user, if any.
   *
   * ```ts
   * const credential = await credentials.findByUserId(auth.userId);
   * ```
   */
  async findByUserId(userId: string): Promise<Credential | undefined> {
    const { rows } = await this.pool.query<CredentialRow>(`select ${COLUMNS} from pl_credentials where user_id = $1`, [userId]);
    return rows[0] && toCredential(rows[0]);
  }

  /**
   * Replaces a user's password hash; `false` when the user has no credential.
   *
   * ```ts
   * await credentials.setPasswordHash(userId, await hashPassword(newPassword));
   * ```
   */
  async setPasswordHash(userId: string, passwordHash: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('update pl_credentials set password_hash = $2, updated_at = now() where user_id = $1', [
      userId,
      passwordHash,
    ]);
    return rowCount === 1;
  }
}

function toCredential(row: CredentialRow): Credential {
  return { userId: row.user_id, email: row.email, passwordHash: row.password_hash, createdAt: row.created_at, updatedAt: row.updated_at };
}
