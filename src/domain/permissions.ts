import { type ApiKeyScope, apiKeyScopes } from './apikey/scopes';
import { ActionNotPermitted } from './errors';
import { type WorkspaceRole, workspaceRoles } from './workspace/roles';

/** Everything a member or an API key may be allowed to do inside a workspace. */
export const actions = [
  'workspace:read',
  'workspace:manage',
  'account:read',
  'account:manage',
  'post:read',
  'post:create',
  'post:edit',
  'post:submit',
  'post:approve',
  'post:reject',
  'post:schedule',
  'post:publish',
  'post:delete',
  'post:record-publication',
  'comment:read',
  'comment:create',
  'comment:moderate',
  'engagement:record',
  'analytics:read',
  'generation:request',
  'generation:apply',
  'generation:record-result',
  'apikey:manage',
] as const;
export type Action = (typeof actions)[number];

/** `own`: only on a resource the actor created (their post). */
type Grant = 'any' | 'own';

const READS: Action[] = ['workspace:read', 'account:read', 'post:read', 'comment:read', 'analytics:read'];
/** Reported by machines (publishers, the AI service), so only keys and the people who run them. */
const MACHINE_REPORTS: Action[] = ['post:record-publication', 'generation:record-result'];
const ADMINISTRATION: Action[] = ['workspace:manage', 'account:manage', 'apikey:manage'];

function grants(entries: readonly (readonly [Action, Grant])[]): ReadonlyMap<Action, Grant> {
  return new Map(entries);
}

const everything = grants(actions.map((action) => [action, 'any']));

const matrix: Record<WorkspaceRole, ReadonlyMap<Action, Grant>> = {
  owner: everything,
  // Admins may do everything too; the workspace decider keeps the owner role to owners.
  admin: everything,
  editor: grants(actions.filter((a) => !ADMINISTRATION.includes(a) && !MACHINE_REPORTS.includes(a)).map((a) => [a, 'any'])),
  contributor: grants([
    ...READS.map((a) => [a, 'any'] as const),
    ['post:create', 'any'],
    ['post:edit', 'own'],
    ['post:submit', 'any'],
    // Scheduling and publishing still need an approved post where the policy says so.
    ['post:schedule', 'any'],
    ['post:publish', 'any'],
    ['post:delete', 'own'],
    ['comment:create', 'any'],
    ['generation:request', 'any'],
    ['generation:apply', 'any'],
  ]),
  viewer: grants(READS.map((a) => [a, 'any'])),
};

const scopeActions: Record<ApiKeyScope, readonly Action[]> = {
  'posts:write': ['post:create', 'post:edit', 'post:submit', 'post:schedule', 'post:publish'],
  'posts:publish': ['post:read', 'post:record-publication'],
  'engagement:write': ['engagement:record'],
  'generations:write': ['generation:request', 'generation:record-result'],
  'analytics:read': ['analytics:read', 'post:read', 'account:read', 'workspace:read'],
  // Platform-wide reads (audit API, replay), checked outside any workspace.
  'audit:read': [],
  'events:read': [],
};

/**
 * Whether a workspace role may perform an action. `isOwnResource` matters for the
 * actions a contributor may only perform on their own posts (edit, delete).
 *
 * ```ts
 * can('contributor', 'post:edit', { isOwnResource: true });  // true
 * can('contributor', 'post:edit', { isOwnResource: false }); // false
 * can('viewer', 'post:create');                              // false
 * ```
 */
export function can(role: WorkspaceRole, action: Action, context: { isOwnResource?: boolean } = {}): boolean {
  const grant = matrix[role]?.get(action);
  return grant === 'any' || (grant === 'own' && context.isOwnResource === true);
}

/**
 * Throws ActionNotPermitted (403) unless `can(role, action, context)`.
 *
 * ```ts
 * assertCan(command.byRole, 'post:approve');
 * ```
 */
export function assertCan(role: WorkspaceRole, action: Action, context: { isOwnResource?: boolean } = {}): void {
  if (!can(role, action, context)) throw new ActionNotPermitted(role, action);
}

/**
 * Whether any of an API key's scopes allows an action.
 *
 * ```ts
 * scopeAllows(['posts:publish'], 'post:record-publication'); // true
 * scopeAllows(['analytics:read'], 'post:create');            // false
 * ```
 */
export function scopeAllows(scopes: readonly ApiKeyScope[], action: Action): boolean {
  return scopes.some((scope) => scopeActions[scope]?.includes(action) ?? false);
}

/**
 * The permission matrix as a markdown table (roles, then the API key scopes that allow
 * each action), generated from the same data `can` and `scopeAllows` read.
 *
 * ```ts
 * readme.replace('<!-- permissions -->', permissionMatrixMarkdown());
 * ```
 */
export function permissionMatrixMarkdown(): string {
  const symbol: Record<Grant, string> = { any: '✓', own: 'own' };
  const header = `| action | ${workspaceRoles.join(' | ')} | API key scopes |`;
  const rule = `|${' --- |'.repeat(workspaceRoles.length + 2)}`;
  const rows = actions.map((action) => {
    const roles = workspaceRoles.map((role) => {
      const grant = matrix[role].get(action);
      return grant ? symbol[grant] : '—';
    });
    const scopes = apiKeyScopes.filter((scope) => scopeActions[scope].includes(action)).map((scope) => `\`${scope}\``);
    return `| \`${action}\` | ${roles.join(' | ')} | ${scopes.join(', ') || '—'} |`;
  });
  const notes = [
    '',
    '✓ allowed · own: only on the member\'s own posts · — not allowed.',
    'Only an owner may grant or take the owner role. A role in the approval policy still needs an approved post to schedule or publish.',
    'The `audit:read` and `events:read` scopes allow the platform-wide audit and replay APIs, outside any workspace.',
  ];
  return [header, rule, ...rows, ...notes].join('\n');
}
