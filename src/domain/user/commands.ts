import type { PlatformRole } from './platform-roles';

/** Commands of the user aggregate (stream `user-<userId>`). */
export type UserCommand = RegisterUser | UpdateProfile | ChangePassword | ResetPassword | SetPlatformRoles | DeactivateUser | ReactivateUser | EraseUser;

/** The password itself never reaches the domain: the auth layer keeps the hash in its credentials table. */
export interface RegisterUser {
  type: 'RegisterUser';
  userId: string;
  email: string;
  displayName: string;
}

/** Omitted fields stay as they are; `null` (or an empty string) clears bio or avatar. */
export interface UpdateProfile {
  type: 'UpdateProfile';
  displayName?: string;
  bio?: string | null;
  avatarUrl?: string | null;
  /** IANA zone, e.g. `Europe/Paris`. */
  timezone?: string;
  /** BCP 47 tag, e.g. `fr-FR`. */
  locale?: string;
}

export interface ChangePassword {
  type: 'ChangePassword';
}

export interface ResetPassword {
  type: 'ResetPassword';
}

export interface SetPlatformRoles {
  type: 'SetPlatformRoles';
  roles: PlatformRole[];
}

export interface DeactivateUser {
  type: 'DeactivateUser';
  reason?: string;
}

export interface ReactivateUser {
  type: 'ReactivateUser';
}

/** Deactivates the user (if active) and records that their personal data is erased. Idempotent. */
export interface EraseUser {
  type: 'EraseUser';
}
