import { type Action, can } from '../domain/permissions';
import type { WorkspaceRole } from '../domain/workspace/roles';
import type { RecordedEvent } from '../eventstore/port';

/**
 * What a member must be allowed to do to see a category's events live: the same action the
 * matching GET route checks. API-key events (creation, revocation) are for those who manage
 * keys (owners and admins). A category not listed here (users' own streams, anything new) is
 * seen by nobody until it is added: least privilege.
 */
const readActionOf: Readonly<Record<string, Action>> = {
  workspace: 'workspace:read',
  account: 'account:read',
  post: 'post:read',
  comment: 'comment:read',
  // no generation:read action: whoever may read the posts may read what was generated for them (as GET does)
  generation: 'post:read',
  engagement: 'analytics:read',
  apikey: 'apikey:manage',
};

/**
 * Whether a member with `role` may see `event` of their workspace.
 *
 * ```ts
 * mayRead('viewer', postDraftedEvent);  // true
 * mayRead('editor', apiKeyCreatedEvent); // false: owners and admins only
 * ```
 */
export function mayRead(role: WorkspaceRole, event: Pick<RecordedEvent, 'streamId'>): boolean {
  const dash = event.streamId.indexOf('-');
  const action = dash > 0 ? readActionOf[event.streamId.slice(0, dash)] : undefined;
  return action !== undefined && Object.hasOwn(readActionOf, event.streamId.slice(0, dash)) && can(role, action);
}
