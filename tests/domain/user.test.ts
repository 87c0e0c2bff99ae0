import { InvalidReason } from '../../src/domain/errors';
import {
  InvalidAvatarUrl,
  InvalidBio,
  InvalidDisplayName,
  InvalidEmail,
  InvalidLocale,
  InvalidPlatformRole,
  InvalidTimezone,
  type PlatformRole,
  type UserEvent,
  UserAlreadyRegistered,
  userDecider,
  userEvents,
  UserIsDeactivated,
  UserIsErased,
  UserNotFound,
} from '../../src/domain/user';
import { expectEveryTypeEmitted, given } from './support/given';

const registered: UserEvent = { type: 'UserRegistered', data: { userId: 'ada', personal: { email: 'ada@example.com', displayName: 'Ada' } } };
const deactivated: UserEvent = { type: 'UserDeactivated', data: {} };

describe('user', () => {
  describe('registering', () => {
    it('registers a user with a normalized email and display name', () => {
      given(userDecider)
        .when({ type: 'RegisterUser', userId: 'ada', email: ' Ada@Example.COM ', displayName: ' Ada ' })
        .then([registered]);
    });

    it('refuses to register an existing user', () => {
      given(userDecider, [registered])
        .when({ type: 'RegisterUser', userId: 'ada', email: 'ada@example.com', displayName: 'Ada' })
        .thenThrows(UserAlreadyRegistered, { kind: 'conflict' });
    });

    it.each([
      ['without a domain', 'not-an-email'],
      ['without a dot in the domain', 'a@b'],
      ['over 254 characters', `${'a'.repeat(250)}@example.com`],
    ])('refuses an email %s', (_case, email) => {
      given(userDecider).when({ type: 'RegisterUser', userId: 'ada', email, displayName: 'Ada' }).thenThrows(InvalidEmail, { kind: 'invalid', field: 'email' });
    });

    it.each([
      ['blank', '   '],
      ['over 100 characters', 'x'.repeat(101)],
    ])('refuses a display name %s', (_case, displayName) => {
      given(userDecider)
        .when({ type: 'RegisterUser', userId: 'ada', email: 'ada@example.com', displayName })
        .thenThrows(InvalidDisplayName, { field: 'displayName' });
    });

    it('answers UserNotFound to any other command on a missing user', () => {
      given(userDecider).when({ type: 'ChangePassword' }).thenThrows(UserNotFound, { kind: 'notFound' });
    });
  });

  describe('updating the profile', () => {
    it('records only what changed, personal data under personal', () => {
      given(userDecider, [registered])
        .when({ type: 'UpdateProfile', displayName: 'Ada', bio: 'Writes code', avatarUrl: 'https://cdn.example.com/ada.png', timezone: 'Europe/Paris', locale: 'fr-fr' })
        .then([
          {
            type: 'UserProfileUpdated',
            data: { personal: { bio: 'Writes code', avatarUrl: 'https://cdn.example.com/ada.png' }, timezone: 'Europe/Paris', locale: 'fr-FR' },
          },
        ]);
    });

    it('leaves personal out when only settings change', () => {
      const state = given(userDecider, [registered]).when({ type: 'UpdateProfile', timezone: 'UTC' }).then([{ type: 'UserProfileUpdated', data: { timezone: 'UTC' } }]);
      expect(state).toMatchObject({ profile: { displayName: 'Ada', timezone: 'UTC' } });
    });

    it('renames', () => {
      const state = given(userDecider, [registered])
        .when({ type: 'UpdateProfile', displayName: 'Ada L.' })
        .then([{ type: 'UserProfileUpdated', data: { personal: { displayName: 'Ada L.' } } }]);
      expect(state).toMatchObject({ profile: { displayName: 'Ada L.' } });
    });

    const withBio: UserEvent = { type: 'UserProfileUpdated', data: { personal: { bio: 'Hi', avatarUrl: 'https://cdn.example.com/a.png' }, locale: 'en' } };

    it('clears bio and avatar with null or a blank string', () => {
      const state = given(userDecider, [registered, withBio])
        .when({ type: 'UpdateProfile', bio: null, avatarUrl: '  ' })
        .then([{ type: 'UserProfileUpdated', data: { personal: { bio: null, avatarUrl: null } } }]);
      expect(state).toMatchObject({ status: 'active', profile: { displayName: 'Ada', locale: 'en' } });
      expect(state).not.toHaveProperty('profile.bio');
      expect(state).not.toHaveProperty('profile.avatarUrl');
    });

    it('emits nothing when nothing changes', () => {
      given(userDecider, [registered, withBio])
        .when({ type: 'UpdateProfile', displayName: ' Ada ', bio: 'Hi', avatarUrl: 'https://cdn.example.com/a.png', locale: 'en' })
        .then([]);
      given(userDecider, [registered]).when({ type: 'UpdateProfile', bio: null, avatarUrl: null }).then([]);
      given(userDecider, [registered, { type: 'UserProfileUpdated', data: { timezone: 'UTC' } }]).when({ type: 'UpdateProfile', timezone: 'UTC' }).then([]);
    });

    it.each([
      ['a blank display name', { displayName: '' }, InvalidDisplayName, 'displayName'],
      ['a bio over 500 characters', { bio: 'x'.repeat(501) }, InvalidBio, 'bio'],
      ['an ftp avatar URL', { avatarUrl: 'ftp://cdn.example.com/a.png' }, InvalidAvatarUrl, 'avatarUrl'],
      ['an avatar that is no URL', { avatarUrl: 'not a url' }, InvalidAvatarUrl, 'avatarUrl'],
      ['an unknown time zone', { timezone: 'Mars/Olympus' }, InvalidTimezone, 'timezone'],
      ['a malformed locale', { locale: 'not_a_locale!' }, InvalidLocale, 'locale'],
      ['a locale over 35 characters', { locale: 'en-US-u-ca-gregory-nu-latn-hc-h23-co-phonebk' }, InvalidLocale, 'locale'],
    ])('refuses %s', (_case, change, error, field) => {
      given(userDecider, [registered]).when({ type: 'UpdateProfile', ...change }).thenThrows(error, { kind: 'invalid', field });
    });

    it('refuses a deactivated user', () => {
      given(userDecider, [registered, deactivated]).when({ type: 'UpdateProfile', displayName: 'Eve' }).thenThrows(UserIsDeactivated, { kind: 'conflict' });
    });
  });

  describe('passwords', () => {
    it('records a change and a reset without any secret', () => {
      given(userDecider, [registered]).when({ type: 'ChangePassword' }).then([{ type: 'UserPasswordChanged', data: {} }]);
      given(userDecider, [registered]).when({ type: 'ResetPassword' }).then([{ type: 'UserPasswordReset', data: {} }]);
    });

    it('refuses both for a deactivated user', () => {
      given(userDecider, [registered, deactivated]).when({ type: 'ChangePassword' }).thenThrows(UserIsDeactivated);
      given(userDecider, [registered, deactivated]).when({ type: 'ResetPassword' }).thenThrows(UserIsDeactivated);
    });
  });

  describe('platform roles', () => {
    it('sets roles as a set in canonical order', () => {
      const state = given(userDecider, [registered])
        .when({ type: 'SetPlatformRoles', roles: ['analyst', 'admin', 'analyst'] })
        .then([{ type: 'UserPlatformRolesSet', data: { roles: ['admin', 'analyst'] } }]);
      expect(state).toMatchObject({ platformRoles: ['admin', 'analyst'] });
    });

    it('emits nothing for the same set', () => {
      given(userDecider, [registered, { type: 'UserPlatformRolesSet', data: { roles: ['admin', 'auditor'] } }])
        .when({ type: 'SetPlatformRoles', roles: ['auditor', 'admin'] })
        .then([]);
      given(userDecider, [registered]).when({ type: 'SetPlatformRoles', roles: [] }).then([]);
    });

    it('refuses an unknown role', () => {
      given(userDecider, [registered])
        .when({ type: 'SetPlatformRoles', roles: ['admin', 'root' as PlatformRole] })
        .thenThrows(InvalidPlatformRole, { kind: 'invalid', field: 'roles' });
    });

    it('still works on a deactivated user', () => {
      given(userDecider, [registered, deactivated]).when({ type: 'SetPlatformRoles', roles: ['auditor'] }).then([{ type: 'UserPlatformRolesSet', data: { roles: ['auditor'] } }]);
    });
  });

  describe('deactivation', () => {
    it('deactivates with or without a reason', () => {
      const state = given(userDecider, [registered]).when({ type: 'DeactivateUser', reason: ' left the company ' }).then([{ type: 'UserDeactivated', data: { reason: 'left the company' } }]);
      expect(state.status).toBe('deactivated');
      given(userDecider, [registered]).when({ type: 'DeactivateUser' }).then([deactivated]);
    });

    it('refuses a blank reason', () => {
      given(userDecider, [registered]).when({ type: 'DeactivateUser', reason: ' ' }).thenThrows(InvalidReason, { kind: 'invalid', field: 'reason' });
    });

    it('reactivates', () => {
      const state = given(userDecider, [registered, deactivated]).when({ type: 'ReactivateUser' }).then([{ type: 'UserReactivated', data: {} }]);
      expect(state.status).toBe('active');
    });

    it('is idempotent both ways', () => {
      given(userDecider, [registered, deactivated]).when({ type: 'DeactivateUser' }).then([]);
      given(userDecider, [registered]).when({ type: 'ReactivateUser' }).then([]);
    });
  });

  describe('erasure', () => {
    const erased: UserEvent = { type: 'UserErased', data: {} };
    const profiled: UserEvent = { type: 'UserProfileUpdated', data: { personal: { bio: 'Poet', avatarUrl: 'https://cdn.example.com/a.png' }, timezone: 'Europe/Paris' } };

    it('deactivates an active user and records the erasure, leaving nothing personal in the state', () => {
      const state = given(userDecider, [registered, profiled]).when({ type: 'EraseUser' }).then([deactivated, erased]);
      expect(state).toEqual({ status: 'deactivated', userId: 'ada', email: null, profile: { displayName: null, timezone: 'Europe/Paris' }, platformRoles: [], erased: true });
    });

    it('records only the erasure for a user already deactivated, and nothing the second time', () => {
      given(userDecider, [registered, deactivated]).when({ type: 'EraseUser' }).then([erased]);
      given(userDecider, [registered, deactivated, erased]).when({ type: 'EraseUser' }).then([]);
    });

    it('never reactivates an erased user, nor lets them change their profile', () => {
      given(userDecider, [registered, deactivated, erased]).when({ type: 'ReactivateUser' }).thenThrows(UserIsErased, { kind: 'conflict' });
      given(userDecider, [registered, deactivated, erased]).when({ type: 'UpdateProfile', displayName: 'Ada' }).thenThrows(UserIsDeactivated);
    });

    it('folds erased personal groups (read after the key was destroyed) into a state without personal data', () => {
      const history: UserEvent[] = [
        { type: 'UserRegistered', data: { userId: 'ada', personal: { erased: true } } },
        { type: 'UserProfileUpdated', data: { personal: { erased: true }, locale: 'fr-FR' } },
      ];
      const state = history.reduce(userDecider.evolve, userDecider.initialState());
      expect(state).toEqual({ status: 'active', userId: 'ada', email: null, profile: { displayName: null, locale: 'fr-FR' }, platformRoles: [], erased: false });
    });

    it('answers UserNotFound for a user never registered', () => {
      given(userDecider).when({ type: 'EraseUser' }).thenThrows(UserNotFound, { kind: 'notFound' });
    });
  });

  it('ignores events before registration when folding', () => {
    expect(userDecider.evolve(userDecider.initialState(), deactivated)).toEqual({ status: 'unregistered' });
  });

  it('emits every user event type in some test', () => {
    expectEveryTypeEmitted(Object.keys(userEvents));
  });
});
