import type { Migration } from '../platform/migrations';

export const checkpointMigrations: Migration[] = [
  {
    id: '3000_projection_checkpoints',
    sql: `
      create table pl_projection_checkpoints (
        name       text        primary key,
        position   bigint      not null,
        status     text        not null,
        error      text,
        updated_at timestamptz not null default now()
      );`,
  },
];
