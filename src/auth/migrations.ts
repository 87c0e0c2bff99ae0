import type { Migration } from '../platform/migrations';

/**
 * The auth tables. Secrets never enter the event log: they live here, and only as hashes
 * (argon2id for passwords, SHA-256 for 256-bit random tokens and key secrets). No foreign keys
 * to users: users exist in the event log, not in a table.
 */
export const authMigrations: Migration[] = [
  {
    id: '1001_auth_credentials',
    sql: `
      create table pl_credentials (
        user_id          uuid        primary key,
        email            text        not null,
        email_normalized text        not null constraint pl_credentials_email_normalized_key unique,
        password_hash    text        not null,
        created_at       timestamptz not null default now(),
        updated_at       timestamptz not null default now()
      );
    `,
  },
  {
    id: '1002_auth_refresh_tokens',
    sql: `
      create table pl_refresh_tokens (
        id         uuid        primary key,
        family_id  uuid        not null,
        user_id    uuid        not null,
        token_hash bytea       not null constraint pl_refresh_tokens_token_hash_key unique check (octet_length(token_hash) = 32),
        created_at timestamptz not null,
        expires_at timestamptz not null,
        used_at    timestamptz,
        revoked_at timestamptz
      );
      create index pl_refresh_tokens_family on pl_refresh_tokens (family_id);
      create index pl_refresh_tokens_user on pl_refresh_tokens (user_id) where revoked_at is null;
      create index pl_refresh_tokens_expires on pl_refresh_tokens (expires_at);
    `,
  },
  {
    id: '1003_auth_password_resets',
    sql: `
      create table pl_password_resets (
        id         uuid        primary key,
        user_id    uuid        not null,
        token_hash bytea       not null constraint pl_password_resets_token_hash_key unique check (octet_length(token_hash) = 32),
        created_at timestamptz not null,
        expires_at timestamptz not null,
        used_at    timestamptz
      );
      create index pl_password_resets_user on pl_password_resets (user_id) where used_at is null;
    `,
  },
  {
    id: '1004_auth_api_keys',
    sql: `
      create table pl_api_keys (
        id           uuid        primary key,
        workspace_id uuid        not null,
        name         text        not null,
        prefix       text        not null constraint pl_api_keys_prefix_key unique,
        secret_hash  bytea       not null check (octet_length(secret_hash) = 32),
        scopes       text[]      not null default '{}',
        created_by   uuid        not null,
        created_at   timestamptz not null default now(),
        revoked_at   timestamptz
      );
      create index pl_api_keys_workspace on pl_api_keys (workspace_id, created_at);
    `,
  },
];
