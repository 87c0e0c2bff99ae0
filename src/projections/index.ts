import { checkpointMigrations } from './checkpoints';
import { membershipsProjection } from './memberships';
import type { Projection } from './projection';
import { pendingGenerationsProjection, postSchedulesProjection } from './schedules';

/** Every projection the service runs. */
export const projections: Projection[] = [membershipsProjection, postSchedulesProjection, pendingGenerationsProjection];

/** The checkpoint table and every projection's tables. */
export const projectionMigrations = [...checkpointMigrations, ...projections.flatMap((p) => p.migrations)];
