/** Workspace roles, most powerful first. */
export const workspaceRoles = ['owner', 'admin', 'editor', 'contributor', 'viewer'] as const;
export type WorkspaceRole = (typeof workspaceRoles)[number];

/**
 * Narrows a string to a workspace role.
 *
 * ```ts
 * isWorkspaceRole('editor'); // true
 * ```
 */
export function isWorkspaceRole(value: string): value is WorkspaceRole {
  return (workspaceRoles as readonly string[]).includes(value);
}
