import { adminChecks } from './checks/admin.js';
import type { SuiteContext } from './checks/context.js';
import { errorChecks, parseChecks } from './checks/errors.js';
import { userChecks } from './checks/users.js';
import { workerChecks } from './checks/workers.js';
import { CONTRACT_PREFIX, ContractClient, type Credentials } from './client.js';
import { type CheckResult, Checks, type Report } from './report.js';
import { createResponseValidator, type OpenApiDocument } from './validate.js';

export type { Credentials } from './client.js';
export type { CheckResult, Outcome, Report } from './report.js';
export { formatCheck, summaryLine } from './report.js';

export interface ConformanceOptions {
  /** Where the target listens, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** The path the target serves the contract's `/api/zpe` under; `/api/zpe` unless it is mounted elsewhere. */
  basePath?: string;
  /** The OpenAPI document every answer is validated against. */
  document: OpenApiDocument;
  /** The user the flows run as; by default a fresh dev-bypass user (`X-Dev-User-Id`) per run. */
  user?: Credentials;
  /** A second user, for ownership checks; by default another fresh dev-bypass user. */
  otherUser?: Credentials;
  /** The operator token; without it the admin checks are skipped. */
  adminToken?: string;
  fetch?: typeof fetch;
  /** Per request; default 10 s. */
  requestTimeoutMs?: number;
  /** How many leases the worker may take while waiting for its own job; default 20. */
  maxLeaseAttempts?: number;
  /** Called as each check finishes, for progress output. */
  onCheck?: (result: CheckResult) => void;
}

/**
 * Walks the whole contract against one target: user, worker and admin flows, the stateless parse
 * and the error cases, validating every answer against the document. Never throws for a failing
 * check: each outcome is in the report.
 */
export async function runConformance(options: ConformanceOptions): Promise<Report> {
  const checks = new Checks(options.onCheck);
  let client: ContractClient | undefined;
  await checks.run('contract: compile the response schemas', async () => {
    const validator = createResponseValidator(options.document);
    client = new ContractClient({
      baseUrl: options.baseUrl,
      basePath: (options.basePath ?? CONTRACT_PREFIX).replace(/\/+$/, ''),
      validator,
      fetch: options.fetch ?? fetch,
      timeoutMs: options.requestTimeoutMs ?? 10_000,
    });
  });
  if (!client) return checks.report(0);

  const run = crypto.randomUUID().slice(0, 8);
  const ctx: SuiteContext = {
    client,
    checks,
    run,
    user: options.user ?? { header: 'X-Dev-User-Id', value: `conformance-user-${run}` },
    other: options.otherUser ?? { header: 'X-Dev-User-Id', value: `conformance-other-${run}` },
    admin: options.adminToken ? { bearer: options.adminToken } : undefined,
    maxLeaseAttempts: options.maxLeaseAttempts ?? 20,
    state: {},
  };
  await userChecks(ctx);
  await workerChecks(ctx);
  await adminChecks(ctx);
  await parseChecks(ctx);
  await errorChecks(ctx);
  return checks.report(client.responses);
}
