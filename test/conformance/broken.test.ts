import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Report, runConformance } from '../../contract-tests/suite.js';
import { buildDocument } from '../../src/contract/document.js';
import { startNextgenStandin } from '../fixtures/nextgen-standin.js';
import { freePort } from '../support/redis-server.js';

const document = buildDocument();
const standin = await startNextgenStandin();
afterAll(() => standin.close());
afterEach(() => standin.setFault(undefined));

const run = () => runConformance({ baseUrl: standin.origin, document, adminToken: standin.adminToken });

function check(report: Report, name: string) {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check named '${name}'`);
  return found;
}

describe('the conformance suite fails a target that breaks the contract', () => {
  it('fails a response field of the wrong type, naming the field', async () => {
    standin.setFault({ kind: 'mutate', mutate: (body) => ({ ...(body as object), status: 42 }) }, ['getJobStatus']);
    const report = await run();
    expect(check(report, 'user: read the status of a queued job')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining(
        'GET /api/zpe/jobs/{job_id} → 200 breaks the contract: body/status: must be string',
      ),
    });
    expect(report.failed).toBeGreaterThan(0);
  });

  it('fails a status the operation does not declare', async () => {
    standin.setFault({ kind: 'status', status: 418 }, ['listQueueTargets']);
    const report = await run();
    expect(check(report, 'user: enroll a worker token')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining('status 418 is not declared for GET /api/zpe/targets'),
    });
  });

  it('fails a content type the operation does not declare', async () => {
    standin.setFault({ kind: 'garbage' }, ['leaseJob']);
    const report = await run();
    expect(check(report, 'worker: lease until the submitted job comes')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining('content type text/html is not declared for status 200'),
    });
  });

  it('fails an error code that does not go with its status', async () => {
    const body = { error: { code: 'conflict', message: 'no such job' } };
    standin.setFault({ kind: 'status', status: 404, body }, ['getJobResult']);
    const report = await run();
    expect(check(report, 'errors: an unknown job is 404')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining("error code 'conflict' does not go with status 404"),
    });
  });

  it('fails an undeclared field in an answer', async () => {
    standin.setFault({ kind: 'mutate', mutate: (body) => ({ ...(body as object), extra: true }) }, [
      'selectQueueTarget',
    ]);
    const report = await run();
    expect(check(report, 'user: select a target')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining("unexpected field 'extra'"),
    });
  });

  it('reports, without throwing, a target that does not answer at all', async () => {
    const report = await runConformance({ baseUrl: `http://127.0.0.1:${await freePort()}`, document });
    expect(report.passed).toBe(1);
    expect(check(report, 'user: enroll a worker token')).toMatchObject({
      outcome: 'fail',
      reason: expect.stringContaining('got no answer: ECONNREFUSED'),
    });
    expect(report.checks.every((c) => c.outcome !== 'pass' || c.name.startsWith('contract:'))).toBe(true);
  });
});
