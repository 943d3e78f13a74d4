import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { bearerTokenMatches, readBoundedBody, sameSecret } from './http-request.js';

const request = (...chunks: string[]) => Readable.from(chunks.map((c) => Buffer.from(c))) as unknown as IncomingMessage;

describe('readBoundedBody', () => {
  it('reads a body up to the bound and gives up past it', async () => {
    expect((await readBoundedBody(request('ab', 'cd'), 4))?.toString()).toBe('abcd');
    expect(await readBoundedBody(request('ab', 'cde'), 4)).toBeUndefined();
    expect((await readBoundedBody(request(), 4))?.length).toBe(0);
  });
});

describe('secrets', () => {
  it('compares whole secrets, whatever their lengths', () => {
    expect(sameSecret('s3cret-token-value', 's3cret-token-value')).toBe(true);
    expect(sameSecret('s3cret-token-valu', 's3cret-token-value')).toBe(false);
    expect(sameSecret('', 's3cret-token-value')).toBe(false);
  });

  it('accepts only the exact bearer token', () => {
    expect(bearerTokenMatches('Bearer s3cret-token-value', 's3cret-token-value')).toBe(true);
    expect(bearerTokenMatches('bearer s3cret-token-value', 's3cret-token-value')).toBe(true);
    expect(bearerTokenMatches('Bearer s3cret-token-valu', 's3cret-token-value')).toBe(false);
    expect(bearerTokenMatches('s3cret-token-value', 's3cret-token-value')).toBe(false);
    expect(bearerTokenMatches(undefined, 's3cret-token-value')).toBe(false);
  });
});
