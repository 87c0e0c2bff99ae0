import type { ApiKeyScope } from '../../src/domain/apikey';
import { ActionNotPermitted } from '../../src/domain/errors';
import { type Action, actions, assertCan, can, permissionMatrixMarkdown, scopeAllows } from '../../src/domain/permissions';
import { type WorkspaceRole, workspaceRoles } from '../../src/domain/workspace';

/** The matrix as the product defines it: ✓ any, own: own posts only, — never. Columns: owner admin editor contributor viewer. */
const expected: Record<Action, string> = {
  'workspace:read': '✓ ✓ ✓ ✓ ✓',
  'workspace:manage': '✓ ✓ — — —',
  'account:read': '✓ ✓ ✓ ✓ ✓',
  'account:manage': '✓ ✓ — — —',
  'post:read': '✓ ✓ ✓ ✓ ✓',
  'post:create': '✓ ✓ ✓ ✓ —',
  'post:edit': '✓ ✓ ✓ own —',
  'post:submit': '✓ ✓ ✓ ✓ —',
  'post:approve': '✓ ✓ ✓ — —',
  'post:reject': '✓ ✓ ✓ — —',
  'post:schedule': '✓ ✓ ✓ ✓ —',
  'post:publish': '✓ ✓ ✓ ✓ —',
  'post:delete': '✓ ✓ ✓ own —',
  'post:record-publication': '✓ ✓ — — —',
  'comment:read': '✓ ✓ ✓ ✓ ✓',
  'comment:create': '✓ ✓ ✓ ✓ —',
  'comment:moderate': '✓ ✓ ✓ — —',
  'engagement:record': '✓ ✓ ✓ — —',
  'analytics:read': '✓ ✓ ✓ ✓ ✓',
  'generation:request': '✓ ✓ ✓ ✓ —',
  'generation:apply': '✓ ✓ ✓ ✓ —',
  'generation:record-result': '✓ ✓ — — —',
  'apikey:manage': '✓ ✓ — — —',
};

const cases = actions.flatMap((action) =>
  workspaceRoles.map((role, i) => [action, role, expected[action].split(' ')[i]] as [Action, WorkspaceRole, string]),
);

describe('permissions', () => {
  it('covers every action in the expected matrix', () => {
    expect(Object.keys(expected).sort()).toEqual([...actions].sort());
  });

  it.each(cases)('%s for %s is %s', (action, role, grant) => {
    expect(can(role, action, { isOwnResource: true })).toBe(grant !== '—');
    expect(can(role, action, { isOwnResource: false })).toBe(grant === '✓');
    expect(can(role, action)).toBe(grant === '✓');
  });

  it('allows nothing to an unknown role', () => {
    expect(can('guest' as WorkspaceRole, 'post:read')).toBe(false);
  });

  it('throws ActionNotPermitted from assertCan', () => {
    expect(() => assertCan('viewer', 'post:create')).toThrow(ActionNotPermitted);
    expect(() => assertCan('contributor', 'post:edit', { isOwnResource: true })).not.toThrow();
  });

  describe('API key scopes', () => {
    const scopeCases: [ApiKeyScope, Action[]][] = [
      ['posts:write', ['post:create', 'post:edit', 'post:submit', 'post:schedule', 'post:publish']],
      ['posts:publish', ['post:read', 'post:record-publication']],
      ['engagement:write', ['engagement:record']],
      ['generations:write', ['generation:request', 'generation:record-result']],
      ['analytics:read', ['workspace:read', 'account:read', 'post:read', 'analytics:read']],
      ['audit:read', []],
      ['events:read', []],
    ];

    it.each(scopeCases)('%s allows exactly %j', (scope, allowed) => {
      expect(actions.filter((action) => scopeAllows([scope], action))).toEqual(actions.filter((action) => allowed.includes(action)));
    });

    it('allows what any of several scopes allows, and nothing for an unknown scope', () => {
      expect(scopeAllows(['engagement:write', 'posts:publish'], 'post:record-publication')).toBe(true);
      expect(scopeAllows(['root' as ApiKeyScope], 'post:read')).toBe(false);
      expect(scopeAllows([], 'post:read')).toBe(false);
    });

    it('gives the machine-report actions only to owners, admins and the right keys', () => {
      for (const action of ['post:record-publication', 'generation:record-result'] as const) {
        expect(workspaceRoles.filter((role) => can(role, action))).toEqual(['owner', 'admin']);
      }
    });
  });

  describe('markdown table', () => {
    const table = permissionMatrixMarkdown();

    it('has a header, a rule and one row per action', () => {
      const lines = table.split('\n');
      expect(lines[0]).toBe('| action | owner | admin | editor | contributor | viewer | API key scopes |');
      expect(lines[1]).toBe('| --- | --- | --- | --- | --- | --- | --- |');
      expect(lines.filter((line) => line.startsWith('| `'))).toHaveLength(actions.length);
    });

    it('renders grants and scopes', () => {
      expect(table).toContain('| `post:edit` | ✓ | ✓ | ✓ | own | — | `posts:write` |');
      expect(table).toContain('| `post:read` | ✓ | ✓ | ✓ | ✓ | ✓ | `posts:publish`, `analytics:read` |');
      expect(table).toContain('| `apikey:manage` | ✓ | ✓ | — | — | — | — |');
    });
  });
});
