/**
 * A reference next-gen service, in memory: every contract operation over plain maps, with the legacy
 * semantics the gateway's clients rely on. Not a production service (nothing persists): it lets a
 * newcomer walk every stage of the cutover (`npm run nextgen`, main.ts) and is the tests' stand-in
 * (test/fixtures/nextgen-standin.ts). Requests arrive already validated by the contract layer, so
 * handlers only check identity and state.
 */
import { randomBytes } from 'node:crypto';
import type { z } from '@hono/zod-openapi';
import { bearerToken } from '../../src/auth/identity.js';
import { createAdminAuthenticator, createUserAuthenticator } from '../../src/auth/index.js';
import type { OperationId } from '../../src/contract/operations.js';
import type {
  EnrollTokenRequest,
  ServerRegistration,
  WorkerFailure,
  WorkerResult,
} from '../../src/contract/schemas/compute.js';
import type { JobFileQuery, JobState, JobSubmission } from '../../src/contract/schemas/jobs.js';
import { FLAG_NAMES, type FlagName, type FlagValues, type OpsFlagsChange } from '../../src/contract/schemas/ops.js';
import type { ParseRequest } from '../../src/contract/schemas/parse.js';
import type { QueueTargetPageQuery } from '../../src/contract/schemas/targets.js';
import type { OperationCall } from '../../src/http/app.js';
import { ApiError } from '../../src/http/errors.js';
import { parseAnswer } from '../../src/qe/parse-operation.js';
import { checkSubmission } from '../../src/qe/submission.js';

export interface StandinSettings {
  adminToken: string;
  userHeader: string;
  /** Serve the stateless parse; false answers 503 like a target without it. */
  parse: boolean;
  queueName: string;
  leaseTtlSeconds: number;
  retryMax: number;
  retryDelaySeconds: number;
  enrollTtlSeconds: number;
  workerTokenTtlSeconds: number;
}

export interface StandinJob {
  id: string;
  owner: string;
  status: z.infer<typeof JobState>;
  detail: string | null;
  updatedAt: string;
  payload: Record<string, unknown>;
  meta: Record<string, unknown>;
  result?: Record<string, unknown>;
  summary?: string;
  freqs?: string;
  retryCount: number;
  lease?: { workerId: string; leaseId: string; expiresAt: number };
}

/** A job placed in the stand-in by a test; what is left out gets the values of a fresh submission. */
export type PreloadedJob = Partial<StandinJob> & { owner: string };

interface QueueTarget {
  id: string;
  queue_name: string;
  server_id: string;
  registered_at: string;
  name: string | null;
}

interface FlagRecord {
  value: FlagValues[FlagName];
  source: 'default' | 'set';
  expires_at: string | null;
  actor: string | null;
  reason: string | null;
}

const hex32 = () => randomBytes(16).toString('hex');
const newToken = () => randomBytes(32).toString('base64url');
const iso = (ms: number) => new Date(ms).toISOString();
const DEFAULT_FLAGS: FlagValues = {
  submission_enabled: true,
  dequeue_enabled: true,
  submission_route: 'redis-worker',
  result_read_source: 'redis',
  legacy_worker_endpoints_enabled: true,
};

function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export class StandinService {
  readonly jobs = new Map<string, StandinJob>();
  private readonly queue: string[] = [];
  private readonly delayed = new Map<string, number>();
  private readonly enrollTokens = new Map<string, { owner: string | null; expiresAt: number }>();
  private readonly servers = new Map<string, { tokens: Set<string> }>();
  private readonly workerTokens = new Map<string, { serverId: string; expiresAt: number; revoked: boolean }>();
  private readonly targets = new Map<string, { list: QueueTarget[]; active: string | null }>();
  private readonly flags: Record<FlagName, FlagRecord>;
  private readonly users;
  private readonly admin;

  constructor(
    private readonly settings: StandinSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.users = createUserAuthenticator({
      mode: 'dev-bypass',
      issuer: undefined,
      audience: undefined,
      allowedEmails: [],
      devUserIdHeader: settings.userHeader,
      devEmailHeader: 'X-Dev-User-Email',
    });
    this.admin = createAdminAuthenticator(settings.adminToken);
    this.flags = Object.fromEntries(
      FLAG_NAMES.map((name) => [
        name,
        { value: DEFAULT_FLAGS[name], source: 'default', expires_at: null, actor: null, reason: null },
      ]),
    ) as Record<FlagName, FlagRecord>;
  }

  serve(operation: OperationId, call: OperationCall): Promise<Response> {
    return this.handlers[operation](call);
  }

  preload(job: PreloadedJob): string {
    const id = job.id ?? `http-${hex32()}`;
    const record: StandinJob = {
      status: 'queued',
      detail: null,
      updatedAt: iso(this.now()),
      payload: {},
      meta: {},
      retryCount: 0,
      ...job,
      id,
    };
    this.jobs.set(id, record);
    if (record.status === 'queued' && !record.lease) this.queue.push(id);
    return id;
  }

  private setStatus(job: StandinJob, status: StandinJob['status'], detail: string | null = null) {
    job.status = status;
    job.detail = detail;
    job.updatedAt = iso(this.now());
  }

  private async ownedJob(call: OperationCall): Promise<StandinJob> {
    const user = await this.users.authenticate(call.request);
    const job = this.jobs.get(call.params.job_id ?? '');
    if (!job) throw new ApiError(404, 'job not found');
    if (job.owner !== user.id) throw new ApiError(403, 'job belongs to another user');
    return job;
  }

  private finished<T>(job: StandinJob, value: T | undefined, what: string): T {
    if (job.status === 'failed') throw new ApiError(409, job.detail ? `job failed: ${job.detail}` : 'job failed');
    if (job.status !== 'finished' || value === undefined) throw new ApiError(404, `${what} not ready`);
    return value;
  }

  private worker(call: OperationCall): string {
    const token = bearerToken(call.request);
    if (!token) throw new ApiError(401, 'missing worker token');
    const record = this.workerTokens.get(token);
    if (record?.revoked) throw new ApiError(403, 'token revoked');
    if (!record || record.expiresAt <= this.now()) throw new ApiError(401, 'token invalid or expired');
    return record.serverId;
  }

  private leasedBy(call: OperationCall, leaseId: string): StandinJob {
    const workerId = this.worker(call);
    const job = this.jobs.get(call.params.job_id ?? '');
    if (job?.status === 'finished') return job;
    if (!job?.lease || job.lease.expiresAt <= this.now()) throw new ApiError(409, 'lease not found');
    if (job.lease.workerId !== workerId || job.lease.leaseId !== leaseId) throw new ApiError(409, 'lease mismatch');
    return job;
  }

  /** Expired leases go back on the queue and due retries come out of the delay set, as a lease does in Redis. */
  private reclaim() {
    const now = this.now();
    for (const job of this.jobs.values()) {
      if (job.lease && job.lease.expiresAt <= now) {
        job.lease = undefined;
        this.setStatus(job, 'queued', 'lease expired');
        this.queue.push(job.id);
      }
    }
    for (const [id, due] of this.delayed) {
      if (due <= now) {
        this.delayed.delete(id);
        this.queue.push(id);
      }
    }
  }

  private targetsOf(userId: string) {
    let entry = this.targets.get(userId);
    if (!entry) {
      entry = { list: [], active: null };
      this.targets.set(userId, entry);
    }
    return entry;
  }

  private flagsBody() {
    const values = Object.fromEntries(FLAG_NAMES.map((name) => [name, this.flags[name].value]));
    return { ...values, flags: this.flags };
  }

  private readonly handlers: Record<OperationId, (call: OperationCall) => Promise<Response>> = {
    parseQeInput: async (call) => {
      if (!this.settings.parse) throw new ApiError(503, 'parse is not configured on this stand-in');
      const { content } = call.body as z.output<typeof ParseRequest>;
      const { structure_id } = call.body as z.output<typeof ParseRequest>;
      // The gateway's own reader: next-gen answers parse as the legacy does.
      return new Response(parseAnswer(content, structure_id), { headers: { 'content-type': 'application/json' } });
    },

    submitJob: async (call) => {
      const user = await this.users.authenticate(call.request);
      const body = call.body as z.output<typeof JobSubmission>;
      const targets = this.targetsOf(user.id);
      const target = targets.list.find((t) => t.id === targets.active);
      if (!target) throw new ApiError(400, 'no active queue target');
      // The same structure checks and refusals as the legacy (and the gateway's built-in backend).
      const mobile = checkSubmission(body);
      const id = this.preload({
        owner: user.id,
        payload: {
          calc_type: body.calc_type,
          content: body.content,
          mobile_indices: mobile,
          use_environ: body.use_environ,
          input_dir: body.input_dir ?? null,
          calc_mode: body.calc_mode,
          structure_id: body.structure_id ?? null,
        },
        meta: {
          request_id: call.requestId,
          user_id: user.id,
          structure_id: body.structure_id ?? null,
          queue_name: target.queue_name,
          calc_mode: body.calc_mode,
        },
      });
      return Response.json({ id });
    },

    getJobStatus: async (call) => {
      const job = await this.ownedJob(call);
      return Response.json({ status: job.status, detail: job.detail, updated_at: job.updatedAt });
    },

    getJobResult: async (call) => {
      const job = await this.ownedJob(call);
      return Response.json({ result: this.finished(job, job.result, 'result') });
    },

    downloadJobFile: async (call) => {
      const job = await this.ownedJob(call);
      const { kind } = call.query as z.output<typeof JobFileQuery>;
      const [text, type, filename] =
        kind === 'summary'
          ? [this.finished(job, job.summary, 'summary.txt'), 'text/plain; charset=utf-8', 'summary.txt']
          : [this.finished(job, job.freqs, 'freqs.csv'), 'text/csv; charset=utf-8', 'freqs.csv'];
      return new Response(text, {
        headers: { 'content-type': type, 'content-disposition': `attachment; filename="${filename}"` },
      });
    },

    createEnrollToken: async (call) => {
      const owner = this.admin.isAdmin(call.request) ? null : (await this.users.authenticate(call.request)).id;
      const body = call.body as z.output<typeof EnrollTokenRequest>;
      const ttl = body.ttl_seconds ?? this.settings.enrollTtlSeconds;
      if (ttl <= 0) throw new ApiError(400, 'ttl_seconds must be positive');
      const token = newToken();
      const expiresAt = this.now() + ttl * 1000;
      this.enrollTokens.set(token, { owner, expiresAt });
      return Response.json({ token, expires_at: iso(expiresAt), ttl_seconds: ttl, label: body.label ?? null });
    },

    registerComputeServer: async (call) => {
      const body = call.body as z.output<typeof ServerRegistration>;
      const enroll = this.enrollTokens.get(body.token);
      this.enrollTokens.delete(body.token);
      if (!enroll || enroll.expiresAt <= this.now()) throw new ApiError(400, 'invalid enroll token');
      const id = `compute-${hex32()}`;
      const registeredAt = iso(this.now());
      const workerToken = newToken();
      const ttl = this.settings.workerTokenTtlSeconds;
      this.servers.set(id, { tokens: new Set([workerToken]) });
      this.workerTokens.set(workerToken, { serverId: id, expiresAt: this.now() + ttl * 1000, revoked: false });
      if (enroll.owner !== null) {
        const targets = this.targetsOf(enroll.owner);
        const target = {
          id: `qt-${hex32()}`,
          queue_name: body.queue_name ?? this.settings.queueName,
          server_id: id,
          registered_at: registeredAt,
          name: body.name ?? null,
        };
        targets.list.push(target);
        targets.active ??= target.id;
      }
      return Response.json({
        id,
        registered_at: registeredAt,
        name: body.name ?? null,
        worker_token: workerToken,
        token_expires_at: iso(this.now() + ttl * 1000),
        token_ttl_seconds: ttl,
      });
    },

    revokeComputeServer: async (call) => {
      this.admin.require(call.request);
      let revoked = 0;
      for (const token of this.servers.get(call.params.server_id ?? '')?.tokens ?? []) {
        const record = this.workerTokens.get(token);
        if (record && !record.revoked) {
          record.revoked = true;
          revoked += 1;
        }
      }
      return Response.json({ revoked_count: revoked });
    },

    leaseJob: async (call) => {
      const workerId = this.worker(call);
      this.reclaim();
      const id = this.queue.shift();
      const job = id === undefined ? undefined : this.jobs.get(id);
      if (!job) return new Response(null, { status: 204 });
      const leaseId = hex32();
      job.lease = { workerId, leaseId, expiresAt: this.now() + this.settings.leaseTtlSeconds * 1000 };
      return Response.json({
        job_id: job.id,
        payload: job.payload,
        lease_id: leaseId,
        lease_ttl_seconds: this.settings.leaseTtlSeconds,
        meta: job.meta,
      });
    },

    reportJobResult: async (call) => {
      const body = call.body as z.output<typeof WorkerResult>;
      const job = this.leasedBy(call, body.lease_id);
      if (job.status === 'finished') {
        const same =
          sameJson(job.result, body.result) && job.summary === body.summary_text && job.freqs === body.freqs_csv;
        if (!same) throw new ApiError(409, 'result already submitted');
        return Response.json({ ok: true, idempotent: true });
      }
      job.result = body.result;
      job.summary = body.summary_text;
      job.freqs = body.freqs_csv;
      job.lease = undefined;
      this.setStatus(job, 'finished');
      return Response.json({ ok: true, idempotent: false });
    },

    reportJobFailure: async (call) => {
      const body = call.body as z.output<typeof WorkerFailure>;
      const job = this.leasedBy(call, body.lease_id);
      if (job.status === 'finished') throw new ApiError(409, 'job already finished');
      job.lease = undefined;
      job.retryCount += 1;
      const reason = `${body.error_code}: ${body.error_message}`;
      const requeued = job.retryCount <= this.settings.retryMax;
      if (requeued) {
        const delay = Math.min(this.settings.retryDelaySeconds * 2 ** (job.retryCount - 1), 300);
        this.delayed.set(job.id, this.now() + delay * 1000);
        this.setStatus(job, 'queued', `requeue in ${delay}s (${reason})`);
      } else {
        this.setStatus(job, 'failed', reason);
      }
      return Response.json({ ok: true, requeued, retry_count: job.retryCount });
    },

    listQueueTargets: async (call) => {
      const user = await this.users.authenticate(call.request);
      const { limit, offset } = call.query as z.output<typeof QueueTargetPageQuery>;
      const { list, active } = this.targetsOf(user.id);
      return Response.json({
        targets: list.slice(offset, offset + limit),
        active_target_id: active,
        pagination: { total: list.length, limit, offset },
      });
    },

    selectQueueTarget: async (call) => {
      const user = await this.users.authenticate(call.request);
      const targets = this.targetsOf(user.id);
      const target = targets.list.find((t) => t.id === call.params.target_id);
      if (!target) throw new ApiError(404, 'target not found');
      targets.active = target.id;
      return Response.json({ active_target_id: target.id });
    },

    getOpsFlags: async (call) => {
      this.admin.require(call.request);
      return Response.json(this.flagsBody());
    },

    updateOpsFlags: async (call) => {
      this.admin.require(call.request);
      const change = call.body as z.output<typeof OpsFlagsChange>;
      const ttl = change.ttl_seconds ?? 3600;
      for (const name of FLAG_NAMES) {
        const value = change[name];
        if (value === null || value === undefined) continue;
        this.flags[name] = {
          value,
          source: 'set',
          expires_at: iso(this.now() + ttl * 1000),
          actor: 'admin',
          reason: change.reason ?? null,
        };
      }
      return Response.json(this.flagsBody());
    },
  };
}
