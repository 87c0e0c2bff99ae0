import type { Action } from '../domain/permissions';
import { can, scopeAllows } from '../domain/permissions';
import type { ApiKeyScope } from '../domain/apikey/scopes';
import { roleOf, workspaceDecider, type Workspace } from '../domain/workspace/decider';
import type { WorkspaceRole } from '../domain/workspace/roles';
import type { Principal } from '../auth/principal';
import { PermissionDenied, ResourceNotFound } from './errors';
import type { CommandHandler } from './command-handler';

export interface WorkspaceAccess {
  workspace: Workspace;
  /** The member's role; undefined for an API key. */
  role: WorkspaceRole | undefined;
  /** The workspace stream's revision, for `ETag` on workspace responses. */
  revision: bigint;
}

/**
 * Checks that the principal may perform `action` in the workspace, reading membership from
 * the workspace's own stream so a removed member is refused at once. Another workspace's
 * resources (and workspaces one is not a member of) are 404, never 403: their existence is
 * not revealed. A member without the permission is 403.
 *
 * ```ts
 * const { workspace, role } = await accessWorkspace(commands, req.principal!, wsId, 'post:create');
 * ```
 */
export async function accessWorkspace(
  commands: CommandHandler,
  principal: Principal,
  workspaceId: string,
  action: Action,
  context: { isOwnResource?: boolean } = {},
): Promise<WorkspaceAccess> {
  if (principal.kind === 'apiKey' && principal.workspaceId !== workspaceId) throw new ResourceNotFound('The workspace');
  const loaded = await commands.load(`workspace-${workspaceId}`, workspaceDecider);
  const workspace = loaded.state;
  if (workspace.status !== 'active' || loaded.revision === undefined) throw new ResourceNotFound('The workspace');
  if (principal.kind === 'apiKey') {
    if (!scopeAllows(principal.scopes as ApiKeyScope[], action)) throw new PermissionDenied(`This API key's scopes do not allow ${action}.`);
    return { workspace, role: undefined, revision: loaded.revision };
  }
  const role = roleOf(workspace, principal.userId);
  if (role === undefined) throw new ResourceNotFound('The workspace');
  if (!can(role, action, context)) throw new PermissionDenied(`A ${role} may not ${action}.`);
  return { workspace, role, revision: loaded.revision };
}

/** Whether the principal could do `action` on its own resource only (contributors editing their posts). */
export function canOnlyOnOwn(access: WorkspaceAccess, action: Action): boolean {
  return access.role !== undefined && !can(access.role, action) && can(access.role, action, { isOwnResource: true });
}
