import { Kysely, PostgresDialect, type Generated } from 'kysely';
import type { Pool } from 'pg';
import type { ColumnType } from 'kysely';

/** Checkpoint and state of each projection. */
export interface ProjectionCheckpointsTable {
  name: string;
  /** int8 as a string: positions never pass through a JS number. */
  position: string;
  /** How far the projection has read the log, matching events or not (int8 as a string). */
  read_position: Generated<string>;
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

export interface PostsTable {
  post_id: string;
  workspace_id: string;
  account_id: string;
  author_id: string;
  status: string;
  content: string;
  /** jsonb: written as JSON text. */
  media: ColumnType<string[], string, string>;
  tags: string[];
  scheduled_at: Date | null;
  published_at: Date | null;
  external_id: string | null;
  url: string | null;
  created_at: Date;
  updated_at: Date;
  /** int8 as a string. */
  last_position: string;
  /** The aggregate's folded state: the next event is applied by the domain's own evolve. */
  state: ColumnType<unknown, string, string>;
}

export interface CommentsTable {
  comment_id: string;
  post_id: string;
  workspace_id: string;
  author_id: string;
  parent_id: string | null;
  body: string | null;
  created_at: Date;
  edited_at: Date | null;
  deleted: boolean;
}

export interface AccountsTable {
  account_id: string;
  workspace_id: string;
  platform: string;
  handle: string;
  external_id: string;
  status: string;
  reconnect_reason: string | null;
  connected_at: Date;
}

/** The eight engagement metrics as int8 columns (strings: never through a JS number). */
export interface MetricColumns {
  impressions: string;
  reach: string;
  likes: string;
  comments: string;
  shares: string;
  saves: string;
  clicks: string;
  views: string;
}

/** Latest lifetime totals of a post, from its latest counted snapshot. */
export interface PostEngagementTable extends MetricColumns {
  post_id: string;
  workspace_id: string;
  account_id: string;
  captured_at: Date;
}

/** Sums of the deltas of counted snapshots, by post and UTC hour of capture. */
export interface EngagementBucketsTable extends MetricColumns {
  post_id: string;
  bucket_start: Date;
  workspace_id: string;
  account_id: string;
}

/** Rollup of the buckets: their sums per workspace, account and UTC hour. */
export interface EngagementHourlyTable extends MetricColumns {
  workspace_id: string;
  account_id: string;
  bucket_start: Date;
}

/**
 * Buckets counted by hour and by the start of the post's previous bucket (overall, and with
 * the same account; `-infinity` for a post's first): the posts with a bucket in a range.
 */
export interface EngagementPostStartsTable {
  workspace_id: string;
  account_id: string;
  bucket_start: Date;
  previous_bucket: Date;
  previous_account_bucket: Date;
  posts: number;
}

/** The latest bucket of each post and account. */
export interface EngagementPostAccountsTable {
  post_id: string;
  account_id: string;
  workspace_id: string;
  last_bucket: Date;
}

/** Settled publications counted per workspace, account and UTC hour of their outcome. */
export interface PublicationHoursTable {
  workspace_id: string;
  account_id: string;
  hour: Date;
  published: number;
  failed: number;
}

/** The publish outcome that settled each post (null while none has). */
export interface PublicationsTable {
  post_id: string;
  workspace_id: string;
  account_id: string;
  outcome: 'published' | 'failed' | null;
  at: Date | null;
}

/** A platform user as admins list them (email and display name are personal data). */
export interface UsersTable {
  user_id: string;
  /** null once the user's personal data is erased. */
  email: string | null;
  display_name: string | null;
  platform_roles: string[];
  status: 'active' | 'deactivated';
  registered_at: Date;
  updated_at: Date;
  erased: Generated<boolean>;
}

/** The read-model schema as kysely sees it: a wrong table or column name does not compile. */
export interface ReadModels {
  pl_projection_checkpoints: ProjectionCheckpointsTable;
  rm_memberships: MembershipsTable;
  rm_workspace_names: WorkspaceNamesTable;
  rm_post_schedule: PostScheduleTable;
  rm_pending_generations: PendingGenerationsTable;
  rm_post_engagement: PostEngagementTable;
  rm_engagement_buckets: EngagementBucketsTable;
  rm_engagement_hourly: EngagementHourlyTable;
  rm_engagement_post_starts: EngagementPostStartsTable;
  rm_engagement_post_accounts: EngagementPostAccountsTable;
  rm_publications: PublicationsTable;
  rm_publication_hours: PublicationHoursTable;
  rm_posts: PostsTable;
  rm_comments: CommentsTable;
  rm_accounts: AccountsTable;
  rm_users: UsersTable;
}

/** A kysely instance over the service's pool. */
export function readModelDb(pool: Pool): Kysely<ReadModels> {
  return new Kysely<ReadModels>({ dialect: new PostgresDialect({ pool }) });
}
