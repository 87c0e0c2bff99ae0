/** Roles that hold across the platform, beside workspace roles. */
export const platformRoles = ['admin', 'auditor', 'analyst'] as const;
export type PlatformRole = (typeof platformRoles)[number];
