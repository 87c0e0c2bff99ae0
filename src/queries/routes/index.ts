import type { RouteGroup } from '../../commands/routes';
import { analyticsRoutes } from './analytics';
import { auditRoutes } from './audit';
import { eventRoutes } from './events';
import { accountQueryRoutes } from './accounts';
import { adminUserQueryRoutes } from './admin-users';
import { commentQueryRoutes } from './comments';
import { postQueryRoutes } from './posts';
import { workspaceQueryRoutes } from './workspaces';

/** Every query route group (GETs over the read models). */
export const queryRouteGroups: RouteGroup[] = [workspaceQueryRoutes, accountQueryRoutes, postQueryRoutes, commentQueryRoutes, analyticsRoutes, adminUserQueryRoutes, auditRoutes, eventRoutes];
