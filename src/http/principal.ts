import type { Principal } from '../auth/principal';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the authentication middleware when credentials were given and valid. */
    principal?: Principal;
  }
}

export type { Principal };
