import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveLifecycle } from '../../src/lifecycle/derive.js';
import { type PrivateRedis, startRedis } from '../support/redis-server.js';
import {
  deprecatedManifest,
  IMF_FIXDATE,
  operation,
  type RetirementGateway,
  STRUCTURED_DATE,
  startRetirementGateway,
} from './harness.js';

const DOCS = 'https://docs.zpe.internal/retirement';

/** Splits a Link header into its link-values (RFC 8288): `<uri>; param="value"`. */
function links(header: string | null): { uri: string; rel: string }[] {
  return (header ?? '').split(/,\s*(?=<)/).map((value) => {
    const match = /^<([^>]+)>\s*;\s*rel="([^"]+)"$/.exec(value.trim());
    if (!match) throw new Error(`not a link-value: '${value}'`);
    return { uri: match[1] ?? '', rel: match[2] ?? '' };
  });
}

/** On a manifest in which an operator deprecated an item (the committed one deprecates nothing). */
describe('deprecation headers', () => {
  const manifest = deprecatedManifest();
  const lifecycle = deriveLifecycle(manifest);
  const deprecated = [...lifecycle].flatMap(([id, entry]) => (entry.state === 'deprecated' ? [{ id, entry }] : []));
  let redis: PrivateRedis;
  let gateway: RetirementGateway;

  beforeAll(async () => {
    redis = await startRedis();
    gateway = await startRetirementGateway(redis, { manifest, env: { ZPE_DEPRECATION_DOCS_URL: DOCS } });
  });
  afterAll(async () => {
    await gateway?.close();
    await redis?.stop();
  });

  it('the manifest has deprecated operations to check', () => {
    expect(deprecated.length).toBeGreaterThan(0);
  });

  it.each(deprecated.map((d) => [d.id, d.entry] as const))(
    '%s: Deprecation, Sunset and Link follow RFC 9745, RFC 8594 and RFC 8288',
    async (id, entry) => {
      if (entry.state !== 'deprecated') throw new Error('filtered above');
      const answer = await gateway.callOperation(operation(id), { user: 'header-check' });
      const deprecation = answer.headers.get('deprecation') ?? '';
      const sunset = answer.headers.get('sunset') ?? '';
      expect(deprecation).toMatch(STRUCTURED_DATE);
      expect(sunset).toMatch(IMF_FIXDATE);
      const deprecatedAt = Number(deprecation.slice(1)) * 1000;
      expect(new Date(deprecatedAt).toISOString().slice(0, 10)).toBe(entry.deprecation);
      expect(new Date(Date.parse(sunset)).toISOString().slice(0, 10)).toBe(entry.sunset);
      expect(Date.parse(sunset)).toBeGreaterThanOrEqual(deprecatedAt);
      expect(links(answer.headers.get('link'))).toEqual([
        { uri: entry.successor, rel: 'successor-version' },
        { uri: DOCS, rel: 'deprecation' },
      ]);
    },
  );

  it('errors of a deprecated operation carry them too: an unauthenticated call and a body that breaks the contract', async () => {
    const unauthenticated = await gateway.call('GET', '/api/zpe/jobs/some-job');
    expect(unauthenticated.status).toBe(401);
    const invalid = await gateway.call('POST', '/api/zpe/jobs', { user: 'u1', body: { content: 42 } });
    expect(invalid.status).toBe(422);
    for (const answer of [unauthenticated, invalid]) {
      expect(answer.headers.get('deprecation')).toMatch(STRUCTURED_DATE);
      expect(answer.headers.get('sunset')).toMatch(IMF_FIXDATE);
      expect(answer.headers.get('link')).toContain('rel="successor-version"');
    }
  });

  it('an active operation on a path next to deprecated ones carries none of them', async () => {
    const answer = await gateway.callOperation(operation('createEnrollToken'), { user: 'u1' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('deprecation')).toBeNull();
    expect(answer.headers.get('sunset')).toBeNull();
    expect(answer.headers.get('link')).toBeNull();
  });
});
