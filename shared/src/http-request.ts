/**
 * Reading what a client sends to one of the services' HTTP endpoints (ingest's push, the store's read endpoint, the
 * live view's corrections): a body with an upper bound, and a secret compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The request body, or undefined as soon as it passes `maxBytes` (the rest is not read into memory). */
export async function readBoundedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison through equal-length digests, so neither the content nor the length leaks. */
export function sameSecret(given: string, secret: string): boolean {
  return timingSafeEqual(digest(given), digest(secret));
}

/** Whether an Authorization header carries `Bearer <token>`. */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  return given !== undefined && sameSecret(given, token);
}
