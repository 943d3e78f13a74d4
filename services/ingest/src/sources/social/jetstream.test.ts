import { describe, expect, it } from 'vitest';
import { parseJetstreamMessage, postMatcher, subscribeUrl } from './jetstream.js';

const DID = 'did:plc:abc123xyz';
const post = (text: string, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    did: DID,
    time_us: 1_725_911_162_329_308,
    kind: 'commit',
    commit: {
      rev: '3l3qo2vutsw2b',
      operation: 'create',
      collection: 'app.bsky.feed.post',
      rkey: '3l3qo2vuowo2b',
      record: { $type: 'app.bsky.feed.post', text, createdAt: '2024-09-09T19:46:02.102Z', langs: ['en'] },
      cid: 'bafyrei',
    },
    ...over,
  });

describe('postMatcher', () => {
  const m = postMatcher(['earnings', 'rate cut', 'S&P 500']);
  it('matches cashtags and whole keywords in any case', () => {
    expect(m('Loading up on $nvda today')).toBe(true);
    expect(m('$BRK.B at highs')).toBe(true);
    expect(m('EARNINGS season!')).toBe(true);
    expect(m('hoping for a Rate  Cut')).toBe(true);
    expect(m('the s&p 500 is flat')).toBe(true);
  });
  it('ignores keywords inside words, dollar amounts and plain text', () => {
    expect(m('learningsabout stuff')).toBe(false);
    expect(m('it cost $5 and US$20')).toBe(false);
    expect(m('nice weather')).toBe(false);
    expect(postMatcher([])('no keywords, only $AAPL')).toBe(true);
  });
});

describe('parseJetstreamMessage', () => {
  const m = postMatcher(['earnings']);
  it('maps a matching new post to an entry with the bsky.app URL, AT URI and language', () => {
    expect(parseJetstreamMessage(post('Strong earnings from $AAPL'), m)).toEqual({
      outcome: 'matched',
      timeUs: 1_725_911_162_329_308,
      entry: {
        source: 'bluesky:jetstream',
        sourceKind: 'social',
        sourceId: `at://${DID}/app.bsky.feed.post/3l3qo2vuowo2b`,
        url: `https://bsky.app/profile/${DID}/post/3l3qo2vuowo2b`,
        summary: 'Strong earnings from $AAPL',
        publishedAt: '2024-09-09T19:46:02.102Z',
        lang: 'en',
      },
    });
  });

  it('passes over posts that do not match, deletes, other collections and identity events', () => {
    expect(parseJetstreamMessage(post('good morning'), m).outcome).toBe('unmatched');
    expect(
      parseJetstreamMessage(
        post('x', { commit: { operation: 'delete', collection: 'app.bsky.feed.post', rkey: 'k' } }),
        m,
      ).outcome,
    ).toBe('ignored');
    expect(
      parseJetstreamMessage(
        post('x', { commit: { operation: 'create', collection: 'app.bsky.feed.like', rkey: 'k', record: {} } }),
        m,
      ).outcome,
    ).toBe('ignored');
    const identity = JSON.stringify({
      did: DID,
      time_us: 5,
      kind: 'identity',
      identity: { did: DID, handle: 'a.bsky.social', seq: 1, time: '2024-09-09T19:46:02.102Z' },
    });
    expect(parseJetstreamMessage(identity, m)).toEqual({ outcome: 'ignored', timeUs: 5 });
  });

  it('reports malformed messages with a reason instead of throwing', () => {
    expect(parseJetstreamMessage('{"did":', m)).toMatchObject({
      outcome: 'malformed',
      reason: expect.stringMatching(/^invalid JSON/),
    });
    expect(parseJetstreamMessage('{"kind":"commit"}', m)).toMatchObject({
      outcome: 'malformed',
      reason: expect.stringMatching(/^not a Jetstream event/),
    });
    const noText = post('x', {
      commit: {
        operation: 'create',
        collection: 'app.bsky.feed.post',
        rkey: 'k',
        record: { createdAt: '2024-09-09T19:46:02.102Z' },
      },
    });
    expect(parseJetstreamMessage(noText, m)).toMatchObject({
      outcome: 'malformed',
      timeUs: 1_725_911_162_329_308,
      reason: expect.stringMatching(/^malformed Bluesky post: .*text/),
    });
  });
});

describe('subscribeUrl', () => {
  it('asks for posts only, from the cursor when there is one', () => {
    expect(subscribeUrl('wss://jetstream2.us-east.bsky.network', undefined)).toBe(
      'wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post',
    );
    expect(subscribeUrl('wss://jetstream2.us-east.bsky.network/', 1725911162329308)).toBe(
      'wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post&cursor=1725911162329308',
    );
  });
});
