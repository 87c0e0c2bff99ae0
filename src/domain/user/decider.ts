import type { Decider } from '../decider';
import type { EventData } from '../event-schema';
import { inCanonicalOrder, sameItems, toReason } from '../values';
import type { UpdateProfile, UserCommand } from './commands';
import { InvalidPlatformRole, UserAlreadyRegistered, UserIsDeactivated, UserIsErased, UserNotFound } from './errors';
import type { UserEvent } from './events';
import { type PlatformRole, platformRoles } from './platform-roles';
import { toAvatarUrl, toBio, toDisplayName, toEmail, toLocale, toTimezone } from './profile';

export interface Profile {
  /** null once the user's personal data is erased. */
  displayName: string | null;
  bio?: string;
  avatarUrl?: string;
  timezone?: string;
  locale?: string;
}

export interface User {
  status: 'active' | 'deactivated';
  userId: string;
  /** null once the user's personal data is erased. */
  email: string | null;
  profile: Profile;
  platformRoles: PlatformRole[];
  /** The user asked (or an admin decided) to erase their personal data: final. */
  erased: boolean;
}

export type UserState = { status: 'unregistered' } | User;

function decide(command: UserCommand, state: UserState): UserEvent[] {
  if (command.type === 'RegisterUser') {
    if (state.status !== 'unregistered') throw new UserAlreadyRegistered(state.userId);
    const personal = { email: toEmail(command.email), displayName: toDisplayName(command.displayName) };
    return [{ type: 'UserRegistered', data: { userId: command.userId, personal } }];
  }
  if (state.status === 'unregistered') throw new UserNotFound();
  switch (command.type) {
    case 'UpdateProfile':
      assertActive(state);
      return updateProfile(command, state);
    case 'ChangePassword':
      assertActive(state);
      return [{ type: 'UserPasswordChanged', data: {} }];
    case 'ResetPassword':
      assertActive(state);
      return [{ type: 'UserPasswordReset', data: {} }];
    case 'SetPlatformRoles': {
      const unknown = command.roles.find((role) => !platformRoles.includes(role));
      if (unknown !== undefined) throw new InvalidPlatformRole(unknown);
      const roles = inCanonicalOrder(command.roles, platformRoles);
      return sameItems(roles, state.platformRoles) ? [] : [{ type: 'UserPlatformRolesSet', data: { roles } }];
    }
    case 'DeactivateUser':
      if (state.status === 'deactivated') return [];
      return [{ type: 'UserDeactivated', data: command.reason === undefined ? {} : { reason: toReason(command.reason) } }];
    case 'ReactivateUser':
      if (state.erased) throw new UserIsErased();
      return state.status === 'active' ? [] : [{ type: 'UserReactivated', data: {} }];
    case 'EraseUser':
      if (state.erased) return [];
      return [...(state.status === 'active' ? [{ type: 'UserDeactivated' as const, data: {} }] : []), { type: 'UserErased', data: {} }];
  }
}

function assertActive(user: User): void {
  if (user.status === 'deactivated') throw new UserIsDeactivated();
}

/** Only what differs from the current profile goes into the event; no difference, no event. */
function updateProfile(command: UpdateProfile, { profile }: User): UserEvent[] {
  const personal: Exclude<EventData<UserEvent, 'UserProfileUpdated'>['personal'], { erased: true } | undefined> = {};
  const data: EventData<UserEvent, 'UserProfileUpdated'> = {};
  if (command.displayName !== undefined) {
    const displayName = toDisplayName(command.displayName);
    if (displayName !== profile.displayName) personal.displayName = displayName;
  }
  if (command.bio !== undefined) {
    const bio = toBio(command.bio);
    if (bio !== (profile.bio ?? null)) personal.bio = bio;
  }
  if (command.avatarUrl !== undefined) {
    const avatarUrl = toAvatarUrl(command.avatarUrl);
    if (avatarUrl !== (profile.avatarUrl ?? null)) personal.avatarUrl = avatarUrl;
  }
  if (command.timezone !== undefined) {
    const timezone = toTimezone(command.timezone);
    if (timezone !== profile.timezone) data.timezone = timezone;
  }
  if (command.locale !== undefined) {
    const locale = toLocale(command.locale);
    if (locale !== profile.locale) data.locale = locale;
  }
  if (Object.keys(personal).length > 0) data.personal = personal;
  return Object.keys(data).length === 0 ? [] : [{ type: 'UserProfileUpdated', data }];
}

function evolve(state: UserState, event: UserEvent): UserState {
  if (event.type === 'UserRegistered') {
    const { userId, personal } = event.data;
    if ('erased' in personal) return { status: 'active', userId, email: null, profile: { displayName: null }, platformRoles: [], erased: false };
    return { status: 'active', userId, email: personal.email, profile: { displayName: personal.displayName }, platformRoles: [], erased: false };
  }
  if (state.status === 'unregistered') return state;
  switch (event.type) {
    case 'UserProfileUpdated': {
      const { personal = {}, ...settings } = event.data;
      const profile: Profile = { ...state.profile, ...settings };
      if ('erased' in personal) return { ...state, profile: erasedProfile(profile) };
      if (personal.displayName !== undefined) profile.displayName = personal.displayName;
      setOrClear(profile, 'bio', personal.bio);
      setOrClear(profile, 'avatarUrl', personal.avatarUrl);
      return { ...state, profile };
    }
    case 'UserPlatformRolesSet':
      return { ...state, platformRoles: event.data.roles };
    case 'UserDeactivated':
      return { ...state, status: 'deactivated' };
    case 'UserReactivated':
      return { ...state, status: 'active' };
    case 'UserErased':
      return { ...state, status: 'deactivated', erased: true, email: null, profile: erasedProfile(state.profile) };
    case 'UserPasswordChanged':
    case 'UserPasswordReset':
      return state;
  }
}

/** The profile without its personal fields; settings (time zone, locale) stay. */
function erasedProfile({ bio: _bio, avatarUrl: _avatarUrl, ...rest }: Profile): Profile {
  return { ...rest, displayName: null };
}

/** `undefined` leaves the field alone, `null` clears it. */
function setOrClear(profile: Profile, field: 'bio' | 'avatarUrl', value: string | null | undefined): void {
  if (value === null) delete profile[field];
  else if (value !== undefined) profile[field] = value;
}

/**
 * The user aggregate: registration, profile, platform roles, activation.
 *
 * ```ts
 * const state = fold(userDecider, history);
 * const events = userDecider.decide({ type: 'UpdateProfile', displayName: 'Ada' }, state);
 * ```
 */
export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
  initialState: () => ({ status: 'unregistered' }),
  decide,
  evolve,
};
