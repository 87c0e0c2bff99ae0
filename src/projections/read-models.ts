import { Kysely, PostgresDialect, type Generated } from 'kysely';
import type { Pool } from 'pg';

/** Checkpoint and state of each projection. */
export interface ProjectionCheckpointsTable {
  name: string;
  /** int8 as a string: positions never pass through a JS number. */
  position: string;
  status: 'running' | 'failed';
  error: string | null;
  updated_at: Generated<Date>;
}

export interface MembershipsTable {
  user_id: string;
  workspace_id: string;
  role: string;
}

export interface WorkspaceNamesTable {
  workspace_id: string;
  name: string;
}

export interface PostScheduleTable {
  post_id: string;
  workspace_id: string | null;
  due_at: Date;
}

export interface PendingGenerationsTable {
  generation_id: string;
  workspace_id: string;
  requested_at: Date;
}

/** The read-model schema as kysely sees it: a wrong table or column name does not compile. */
export interface ReadModels {
  pl_projection_checkpoints: ProjectionCheckpointsTable;
  rm_memberships: MembershipsTable;
  rm_workspace_names: WorkspaceNamesTable;
  rm_post_schedule: PostScheduleTable;
  rm_pending_generations: PendingGenerationsTable;
}

/** A kysely instance over the service's pool. */
export function readModelDb(pool: Pool): Kysely<ReadModels> {
  return new Kysely<ReadModels>({ dialect: new PostgresDialect({ pool }) });
}
