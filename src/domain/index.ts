/**
 * Postledger's domain: pure deciders, their commands and events, the event catalogue and
 * the permission matrix. Nothing here does I/O; time and ids arrive in the commands.
 */
export * from './account';
export * from './apikey';
export * from './catalogue';
export * from './comment';
export * from './decider';
export * from './engagement';
export * from './errors';
export * from './event-schema';
export * from './generation';
export * from './permissions';
export * from './post';
export * from './user';
export * from './values';
export * from './workspace';
