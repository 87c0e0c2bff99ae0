import type { RouteGroup } from '../../commands/routes';

/** Every query route group (GETs over the read models). */
export const queryRouteGroups: RouteGroup[] = [];
