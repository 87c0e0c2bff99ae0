import type { ApiDeps } from '../../http/api-deps';
import type { ApiRouter } from '../../http/api-router';
import { accountRoutes } from './accounts';
import { adminRoutes } from './admin';
import { aiWebhookRoutes } from './ai-webhook';
import { apiKeyRoutes } from './api-keys';
import { authRoutes } from './auth';
import { commentRoutes } from './comments';
import { engagementRoutes } from './engagement';
import { generationRoutes } from './generations';
import { meRoutes } from './me';
import { passwordResetRoutes } from './password-reset';
import { postLifecycleRoutes } from './posts-lifecycle';
import { postRoutes } from './posts';
import { workspaceRoutes } from './workspaces';

/** A group of command routes, registered on the API router. */
export type RouteGroup = (api: ApiRouter, deps: ApiDeps) => void;

/** Every command route group, in the order API.md lists them. */
export const commandRouteGroups: RouteGroup[] = [authRoutes, passwordResetRoutes, meRoutes, adminRoutes, workspaceRoutes, accountRoutes, postRoutes, postLifecycleRoutes, commentRoutes, engagementRoutes, generationRoutes, aiWebhookRoutes, apiKeyRoutes];
