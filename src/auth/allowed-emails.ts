import { ApiError } from '../http/errors.js';
import type { User } from './identity.js';

/** The AUTH_ALLOWED_EMAILS gate: with an empty list everyone passes; otherwise the user's email must be listed. */
export function allowedEmailsGate(allowedEmails: readonly string[]): (user: User) => User {
  if (allowedEmails.length === 0) return (user) => user;
  const allowed = new Set(allowedEmails.map((email) => email.trim().toLowerCase()));
  return (user) => {
    if (user.email === undefined) throw new ApiError(403, 'email required: only listed emails are allowed');
    if (!allowed.has(user.email.trim().toLowerCase())) throw new ApiError(403, 'email not allowed');
    return user;
  };
}
