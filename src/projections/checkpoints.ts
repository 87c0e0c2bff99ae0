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
  {
    // how far each projection has read the log, matching events or not (see progress.ts)
    id: '3000_projection_checkpoints_read_position',
    sql: `alter table pl_projection_checkpoints add column read_position bigint not null default 0;`,
  },
];
