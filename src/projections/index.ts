import { auditChainProjection } from '../audit/chain-projection';
import { accountsProjection } from './accounts';
import { checkpointMigrations } from './checkpoints';
import { commentsProjection } from './comments';
import { engagementProjection } from './engagement';
import { membershipsProjection } from './memberships';
import { postsProjection } from './posts';
import type { Projection } from './projection';
import { publicationsProjection } from './publications';
import { pendingGenerationsProjection, postSchedulesProjection } from './schedules';
import { usersProjection } from './users';

/** Every projection the service runs. */
export const projections: Projection[] = [membershipsProjection, postSchedulesProjection, pendingGenerationsProjection, engagementProjection, publicationsProjection, postsProjection, commentsProjection, accountsProjection, usersProjection, auditChainProjection];

/** The checkpoint table and every projection's tables. */
export const projectionMigrations = [...checkpointMigrations, ...projections.flatMap((p) => p.migrations)];
