import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { authRoutes } from './auth';
import { workspaceRoutes } from './workspaces';

/** A group of command routes, registered on the API router. */
export type RouteGroup = (api: ApiRouter, deps: ApiDeps) => void;

/** Every command route group, in the order API.md lists them. */
export const commandRouteGroups: RouteGroup[] = [authRoutes, workspaceRoutes];
