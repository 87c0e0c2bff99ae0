import type { SocialPlatform } from './platforms';

/** Commands of the social account aggregate (stream `account-<accountId>`). */
export type AccountCommand = ConnectAccount | DisconnectAccount | MarkNeedsReconnect;

/** Connects a new account, or reconnects one marked as needing it (same workspace, platform and external id). */
export interface ConnectAccount {
  type: 'ConnectAccount';
  accountId: string;
  workspaceId: string;
  platform: SocialPlatform;
  /** 1–100 characters, e.g. `@postledger`. */
  handle: string;
  /** The platform's id of the account, 1–200 characters. */
  externalId: string;
  by: string;
}

/** Idempotent: disconnecting a disconnected account changes nothing. */
export interface DisconnectAccount {
  type: 'DisconnectAccount';
  by: string;
}

/** Reported when the platform refuses our credentials (expired or revoked grant). */
export interface MarkNeedsReconnect {
  type: 'MarkNeedsReconnect';
  reason: string;
}
