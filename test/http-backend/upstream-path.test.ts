import { describe, expect, it } from 'vitest';
import { contractRemainder, receivedQuery, upstreamPrefix } from '../../src/backends/http/upstream-path.js';

/** The documented rule: upstream path = base URL path + base path (default /api/zpe) + the rest of the contract path + query. */
function upstreamPath(
  baseUrl: string,
  basePath: string | undefined,
  contractPath: string,
  params = {},
  url = 'http://gw/x',
) {
  return upstreamPrefix(baseUrl, basePath) + contractRemainder(contractPath, params) + receivedQuery(url);
}

describe('upstream path rule', () => {
  it('keeps the contract path when no base path is set', () => {
    expect(upstreamPath('http://legacy:8000', undefined, '/api/zpe/jobs')).toBe('/api/zpe/jobs');
    expect(upstreamPath('http://legacy:8000/', undefined, '/api/zpe/targets')).toBe('/api/zpe/targets');
  });

  it('replaces /api/zpe with the base path, however its slashes are written', () => {
    for (const base of ['/v2/zpe', 'v2/zpe', '/v2/zpe/', '//v2/zpe//']) {
      expect(upstreamPath('http://nextgen', base, '/api/zpe/jobs')).toBe('/v2/zpe/jobs');
    }
    expect(upstreamPath('http://nextgen', '/', '/api/zpe/jobs')).toBe('/jobs');
    expect(upstreamPath('http://nextgen', '', '/api/zpe/jobs')).toBe('/jobs');
  });

  it('puts the base URL’s own path first', () => {
    expect(upstreamPath('http://nextgen/edge/', '/v2/zpe', '/api/zpe/jobs')).toBe('/edge/v2/zpe/jobs');
    expect(upstreamPath('http://legacy/cp', undefined, '/api/zpe/jobs')).toBe('/cp/api/zpe/jobs');
  });

  it('fills parameters in, percent-encoded, and keeps the query as received', () => {
    expect(
      upstreamPath(
        'http://nextgen',
        '/v2/zpe',
        '/api/zpe/jobs/{job_id}/files',
        { job_id: 'a/b c?' },
        'http://gw/api/zpe/jobs/x/files?kind=summary&a=%20',
      ),
    ).toBe('/v2/zpe/jobs/a%2Fb%20c%3F/files?kind=summary&a=%20');
  });

  it('refuses a base path or base URL that is more than a path', () => {
    expect(() => upstreamPrefix('http://nextgen', '/v2?x=1')).toThrow(/plain URL path/);
    expect(() => upstreamPrefix('http://nextgen/?x=1')).toThrow(/query or fragment/);
  });
});
