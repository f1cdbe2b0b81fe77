import { randomBytes } from 'node:crypto';

/** Short, sortable-enough, URL-safe ids with a readable prefix: `srv_k3j2...`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(9).toString('base64url')}`;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}
