import { expectStatus } from '../client.js';
import { expect, need } from '../report.js';
import { QE_INPUT, QE_MOBILE_INDICES } from '../samples.js';
import type { EnrollTokenBody, RegisteredServerBody, SuiteContext, TargetPageBody } from './context.js';

const ENROLL = '/api/zpe/compute/enroll-tokens';
const SERVERS = '/api/zpe/compute/servers';
const TARGETS = '/api/zpe/targets';
const SELECT = '/api/zpe/targets/{target_id}/active';
const JOBS = '/api/zpe/jobs';

export const SUBMIT_CHECK = 'user: submit a job';
const REGISTER_CHECK = 'user: register a server with the token';

/** A user's enrollment token registered as a server: the server and its worker token. */
async function enrollAndRegister(ctx: SuiteContext, name: string): Promise<RegisteredServerBody> {
  const enrolled = await ctx.client.call('post', ENROLL, {
    auth: ctx.user,
    json: { label: `${name}-${ctx.run}`, ttl_seconds: 900 },
  });
  expectStatus(enrolled, 200);
  const token = (enrolled.json as EnrollTokenBody).token;
  const registered = await ctx.client.call('post', SERVERS, { json: { token, name: `${name}-${ctx.run}` } });
  expectStatus(registered, 200);
  return registered.json as RegisteredServerBody;
}

async function listTargets(ctx: SuiteContext, query: Record<string, number> = {}): Promise<TargetPageBody> {
  const answer = await ctx.client.call('get', TARGETS, { auth: ctx.user, query });
  expectStatus(answer, 200);
  return answer.json as TargetPageBody;
}

/** All of the user's targets, page by page (a user given on the command line may have many). */
async function allTargets(ctx: SuiteContext): Promise<TargetPageBody> {
  const first = await listTargets(ctx, { limit: 100, offset: 0 });
  const targets = [...first.targets];
  while (targets.length < first.pagination.total) {
    const page = await listTargets(ctx, { limit: 100, offset: targets.length });
    if (page.targets.length === 0) break;
    targets.push(...page.targets);
  }
  return { ...first, targets };
}

/** Submits the sample job as the suite's user; answers its id. */
export async function submitSampleJob(ctx: SuiteContext): Promise<string> {
  const answer = await ctx.client.call('post', JOBS, {
    auth: ctx.user,
    json: { content: QE_INPUT, mobile_indices: QE_MOBILE_INDICES, calc_type: 'qe.zpe.v1', calc_mode: 'new' },
  });
  expectStatus(answer, 200);
  const id = (answer.json as { id: string }).id;
  expect(id.length > 0, 'the job id is empty');
  return id;
}

export async function userChecks(ctx: SuiteContext): Promise<void> {
  const { checks, client, state } = ctx;

  let enrollToken: string | undefined;
  await checks.run('user: enroll a worker token', async () => {
    state.activeBefore = (await listTargets(ctx)).active_target_id ?? null;
    const enrolled = await client.call('post', ENROLL, {
      auth: ctx.user,
      json: { label: `conformance-a-${ctx.run}`, ttl_seconds: 900 },
    });
    expectStatus(enrolled, 200);
    const token = enrolled.json as EnrollTokenBody;
    expect(token.token.length > 0, 'the enrollment token is empty');
    expect(token.ttl_seconds === 900, `ttl_seconds is ${token.ttl_seconds}, 900 was asked for`);
    enrollToken = token.token;
  });

  await checks.run(REGISTER_CHECK, async () => {
    const token = need(enrollToken, 'user: enroll a worker token');
    const name = `conformance-a-${ctx.run}`;
    const registered = await client.call('post', SERVERS, { json: { token, name, meta: { suite: 'conformance' } } });
    expectStatus(registered, 200);
    const server = registered.json as RegisteredServerBody;
    expect(server.worker_token.length > 0, 'the worker token is empty');
    expect(server.name === name, `name is ${server.name}, not the one registered`);
    expect(server.token_ttl_seconds > 0, `token_ttl_seconds is ${server.token_ttl_seconds}`);
    state.workerToken = server.worker_token;
    state.firstServerId = server.id;
  });

  await checks.run('user: an enrollment token registers only once', async () => {
    const token = need(state.firstServerId && enrollToken, REGISTER_CHECK);
    const again = await client.call('post', SERVERS, { json: { token, name: 'conformance-reuse' } });
    expectStatus(again, 400);
  });

  await checks.run('user: the registered server is a queue target, active if none was', async () => {
    const serverId = need(state.firstServerId, REGISTER_CHECK);
    const page = await allTargets(ctx);
    const target = page.targets.find((t) => t.server_id === serverId);
    expect(target, `no target lists server ${serverId}`);
    const wanted = state.activeBefore ?? target.id;
    expect(page.active_target_id === wanted, `active_target_id is ${page.active_target_id}, expected ${wanted}`);
  });

  await checks.run('user: list targets with pagination', async () => {
    need(state.firstServerId, REGISTER_CHECK);
    const second = await enrollAndRegister(ctx, 'conformance-b');
    const whole = await listTargets(ctx);
    expect(whole.pagination.limit === 50, `default limit is ${whole.pagination.limit}, expected 50`);
    expect(whole.pagination.offset === 0, `default offset is ${whole.pagination.offset}, expected 0`);
    const total = whole.pagination.total;
    expect(total >= 2, `total is ${total} after registering two servers`);
    const last = await listTargets(ctx, { limit: 1, offset: total - 1 });
    expect(last.targets.length === 1, `limit=1 answered ${last.targets.length} targets`);
    const { pagination } = last;
    expect(
      pagination.total === total && pagination.limit === 1 && pagination.offset === total - 1,
      `pagination is ${JSON.stringify(pagination)}, expected total ${total}, limit 1, offset ${total - 1}`,
    );
    const newest = last.targets[0];
    expect(
      newest?.server_id === second.id,
      `the last target is ${newest?.server_id}, expected ${second.id} (oldest first)`,
    );
    const beyond = await listTargets(ctx, { limit: 10, offset: total });
    expect(beyond.targets.length === 0, `offset=${total} still answered ${beyond.targets.length} targets`);
    state.secondTargetId = newest.id;
  });

  await checks.run('user: select a target', async () => {
    const targetId = need(state.secondTargetId, 'user: list targets with pagination');
    const answer = await client.call('put', SELECT, { auth: ctx.user, params: { target_id: targetId } });
    expectStatus(answer, 200);
    const active = (answer.json as { active_target_id: string }).active_target_id;
    expect(active === targetId, `active_target_id is ${active}, expected ${targetId}`);
    const page = await listTargets(ctx);
    expect(page.active_target_id === targetId, `the listing says ${page.active_target_id} is active`);
  });

  await checks.run(SUBMIT_CHECK, async () => {
    need(state.firstServerId, REGISTER_CHECK);
    state.jobId = await submitSampleJob(ctx);
  });

  await checks.run('user: a fixed atom cannot be a mobile index', async () => {
    need(state.firstServerId, REGISTER_CHECK);
    const answer = await client.call('post', JOBS, {
      auth: ctx.user,
      json: { content: QE_INPUT, mobile_indices: [0] },
    });
    expectStatus(answer, 400, 422);
  });

  await checks.run('user: read the status of a queued job', async () => {
    const jobId = need(state.jobId, SUBMIT_CHECK);
    const answer = await client.call('get', '/api/zpe/jobs/{job_id}', { auth: ctx.user, params: { job_id: jobId } });
    expectStatus(answer, 200);
    const { status } = answer.json as { status: string };
    expect(status === 'queued', `status is ${status}, expected queued`);
  });

  await checks.run('user: result and files before the job finished are refused', async () => {
    const jobId = need(state.jobId, SUBMIT_CHECK);
    const params = { job_id: jobId };
    const result = await client.call('get', '/api/zpe/jobs/{job_id}/result', { auth: ctx.user, params });
    expectStatus(result, 404, 409);
    const file = await client.call('get', '/api/zpe/jobs/{job_id}/files', {
      auth: ctx.user,
      params,
      query: { kind: 'summary' },
    });
    expectStatus(file, 404, 409);
  });
}
