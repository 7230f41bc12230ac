/** The caller of a user operation. */
export interface User {
  id: string;
  email?: string;
}

/** Resolves the user of a request; throws ApiError 401 (missing/invalid) or 403 (email not allowed). */
export interface UserAuthenticator {
  authenticate(request: Request): Promise<User>;
}

/** Checks the operator token; throws ApiError 401 (missing/invalid) or 403 (no admin token configured). */
export interface AdminAuthenticator {
  /** True when the request carries the admin bearer token; never throws. */
  isAdmin(request: Request): boolean;
  /** Throws unless the request carries the admin bearer token. */
  require(request: Request): void;
}

/** The bearer token of a request, or undefined. */
export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
