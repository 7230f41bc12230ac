import { FLAG_NAMES } from '../../src/contract/schemas/ops.js';
import type { Credentials } from '../client.js';
import { expectStatus } from '../client.js';
import { expect, need, skip } from '../report.js';
import type { EnrollTokenBody, OpsFlagsBody, RegisteredServerBody, SuiteContext } from './context.js';

const OPS = '/api/zpe/admin/ops';
const REVOKE = '/api/zpe/compute/servers/{server_id}';

const READ_FLAGS_CHECK = 'admin: read the cutover flags';
const ADMIN_ENROLL_CHECK = 'admin: enroll a worker token as admin and register a server';
const REVOKE_CHECK = 'admin: revoke a server';

function values(flags: OpsFlagsBody): Record<string, unknown> {
  return Object.fromEntries(FLAG_NAMES.map((name) => [name, flags[name]]));
}

function adminOf(ctx: SuiteContext): Credentials {
  if (!ctx.admin) skip('skipped: no admin token given (--admin-token)');
  return ctx.admin;
}

export async function adminChecks(ctx: SuiteContext): Promise<void> {
  const { checks, client } = ctx;
  let before: OpsFlagsBody | undefined;
  let server: RegisteredServerBody | undefined;
  let revoked = false;

  await checks.run(READ_FLAGS_CHECK, async () => {
    const answer = await client.call('get', OPS, { auth: adminOf(ctx) });
    expectStatus(answer, 200);
    before = answer.json as OpsFlagsBody;
  });

  await checks.run('admin: an empty change changes nothing', async () => {
    const admin = adminOf(ctx);
    const flags = need(before, READ_FLAGS_CHECK);
    const changed = await client.call('patch', OPS, { auth: admin, json: {} });
    expectStatus(changed, 200);
    const after = values(changed.json as OpsFlagsBody);
    expect(JSON.stringify(after) === JSON.stringify(values(flags)), `flags became ${JSON.stringify(after)}`);
    const reread = await client.call('get', OPS, { auth: admin });
    expectStatus(reread, 200);
    const now = values(reread.json as OpsFlagsBody);
    expect(JSON.stringify(now) === JSON.stringify(values(flags)), `flags read back as ${JSON.stringify(now)}`);
  });

  await checks.run('admin: admin operations need the admin token', async () => {
    adminOf(ctx);
    const read = await client.call('get', OPS);
    expectStatus(read, 401);
    const revoke = await client.call('delete', REVOKE, { params: { server_id: `compute-${'0'.repeat(32)}` } });
    expectStatus(revoke, 401);
  });

  await checks.run(ADMIN_ENROLL_CHECK, async () => {
    const admin = adminOf(ctx);
    const enrolled = await client.call('post', '/api/zpe/compute/enroll-tokens', {
      auth: admin,
      json: { label: `conformance-admin-${ctx.run}` },
    });
    expectStatus(enrolled, 200);
    const { token } = enrolled.json as EnrollTokenBody;
    const registered = await client.call('post', '/api/zpe/compute/servers', {
      json: { token, name: `conformance-revoked-${ctx.run}` },
    });
    expectStatus(registered, 200);
    server = registered.json as RegisteredServerBody;
  });

  await checks.run(REVOKE_CHECK, async () => {
    const admin = adminOf(ctx);
    const target = need(server, ADMIN_ENROLL_CHECK);
    const answer = await client.call('delete', REVOKE, { auth: admin, params: { server_id: target.id } });
    expectStatus(answer, 200);
    const count = (answer.json as { revoked_count: number }).revoked_count;
    expect(count >= 1, `revoked_count is ${count}, the server had a token`);
    revoked = true;
  });

  await checks.run('admin: a revoked worker token gets 403', async () => {
    adminOf(ctx);
    const target = need(revoked ? server : undefined, REVOKE_CHECK);
    const answer = await client.call('post', '/api/zpe/compute/jobs/lease', { auth: { bearer: target.worker_token } });
    expectStatus(answer, 403);
  });
}
