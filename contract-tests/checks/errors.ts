import { expectStatus } from '../client.js';
import { expect, need, skip } from '../report.js';
import { QE_ATOM_COUNT, QE_FIXED_INDICES, QE_INPUT } from '../samples.js';
import type { ParsedInputBody, SuiteContext } from './context.js';
import { SUBMIT_CHECK } from './users.js';

export async function parseChecks(ctx: SuiteContext): Promise<void> {
  await ctx.checks.run('parse: parse a QE input', async () => {
    const answer = await ctx.client.call('post', '/api/zpe/parse', { json: { content: QE_INPUT } });
    if (answer.status === 503) skip('skipped: 503 not configured');
    expectStatus(answer, 200);
    const parsed = answer.json as ParsedInputBody;
    expect(parsed.structure.atoms.length === QE_ATOM_COUNT, `${parsed.structure.atoms.length} atoms, expected 4`);
    const fixed = JSON.stringify(parsed.fixed_indices);
    expect(fixed === JSON.stringify(QE_FIXED_INDICES), `fixed_indices ${fixed}, expected [0,1]`);
  });
}

export async function errorChecks(ctx: SuiteContext): Promise<void> {
  const { checks, client, state } = ctx;

  await checks.run('errors: an unknown job is 404', async () => {
    const params = { job_id: `http-${'0'.repeat(32)}` };
    expectStatus(await client.call('get', '/api/zpe/jobs/{job_id}', { auth: ctx.user, params }), 404);
    expectStatus(await client.call('get', '/api/zpe/jobs/{job_id}/result', { auth: ctx.user, params }), 404);
  });

  await checks.run('errors: someone else’s job is 403', async () => {
    const params = { job_id: need(state.jobId, SUBMIT_CHECK) };
    expectStatus(await client.call('get', '/api/zpe/jobs/{job_id}', { auth: ctx.other, params }), 403);
    expectStatus(await client.call('get', '/api/zpe/jobs/{job_id}/result', { auth: ctx.other, params }), 403);
    const file = await client.call('get', '/api/zpe/jobs/{job_id}/files', {
      auth: ctx.other,
      params,
      query: { kind: 'freqs' },
    });
    expectStatus(file, 403);
  });

  await checks.run('errors: selecting someone else’s target is 404', async () => {
    const targetId = need(state.secondTargetId, 'user: list targets with pagination');
    const answer = await client.call('put', '/api/zpe/targets/{target_id}/active', {
      auth: ctx.other,
      params: { target_id: targetId },
    });
    expectStatus(answer, 404);
  });

  await checks.run('errors: a body against the contract is 422 with details', async () => {
    const answer = await client.call('post', '/api/zpe/jobs', {
      auth: ctx.user,
      json: { content: 42, mobile_indices: 'all', surprise: true },
    });
    expectStatus(answer, 422);
    const details = (answer.json as { error: { details: { loc: (string | number)[] }[] } }).error.details;
    const fields = details.map((d) => d.loc.join('.'));
    expect(
      fields.some((f) => f.includes('content')),
      `details do not name the 'content' field: ${fields.join(', ')}`,
    );
  });

  await checks.run('errors: a body that is not JSON is 422 json_invalid', async () => {
    const answer = await client.call('post', '/api/zpe/jobs', { auth: ctx.user, rawJson: '{"content": "no end' });
    expectStatus(answer, 422);
    const details = (answer.json as { error: { details: { type: string; loc: (string | number)[] }[] } }).error.details;
    const first = details[0];
    expect(
      first?.type === 'json_invalid' && first.loc.join('.') === 'body.12',
      `details are not the legacy's json_invalid at the unterminated string: ${JSON.stringify(details)}`,
    );
  });

  await checks.run('errors: missing credentials are 401', async () => {
    expectStatus(await client.call('get', '/api/zpe/targets'), 401);
    expectStatus(await client.call('get', '/api/zpe/jobs/{job_id}', { params: { job_id: 'http-any' } }), 401);
    expectStatus(await client.call('post', '/api/zpe/compute/jobs/lease'), 401);
  });

  await checks.run('errors: an unknown route is 404', async () => {
    const answer = await client.callUnknown('get', '/conformance-no-such-route', { auth: ctx.user });
    expectStatus(answer, 404);
  });
}
