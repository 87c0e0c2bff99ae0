/** The resource does not exist or is not visible to the caller (another workspace's): HTTP 404. */
export class ResourceNotFound extends Error {
  constructor(readonly what: string) {
    super(`${what} was not found`);
    this.name = 'ResourceNotFound';
  }
}

/** The caller is known but not allowed to do this: HTTP 403. */
export class PermissionDenied extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'PermissionDenied';
  }
}
