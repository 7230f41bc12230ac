import type { z } from '@hono/zod-openapi';
import type { EnrollToken, Lease, RegisteredServer } from '../../src/contract/schemas/compute.js';
import type { JobResult, JobStatus } from '../../src/contract/schemas/jobs.js';
import type { OpsFlags } from '../../src/contract/schemas/ops.js';
import type { ParsedInput } from '../../src/contract/schemas/parse.js';
import type { QueueTargetPage } from '../../src/contract/schemas/targets.js';
import type { ContractClient, Credentials } from '../client.js';
import type { Checks } from '../report.js';

export interface SuiteContext {
  client: ContractClient;
  checks: Checks;
  user: Credentials;
  /** A second user, for what one user must not see or change of another's. */
  other: Credentials;
  admin: Credentials | undefined;
  /** Unique per run, so repeated runs against one backend do not collide. */
  run: string;
  maxLeaseAttempts: number;
  state: SuiteState;
}

/** What earlier checks produced for later ones; undefined until the producing check passed. */
export interface SuiteState {
  /** The user's active target before the run (null: none), to know what registration must do. */
  activeBefore?: string | null;
  workerToken?: string;
  firstServerId?: string;
  secondTargetId?: string;
  jobId?: string;
  lease?: { jobId: string; leaseId: string };
  resultStored?: boolean;
}

// Bodies are validated against the contract before a check reads them, so these types hold.
export type EnrollTokenBody = z.infer<typeof EnrollToken>;
export type RegisteredServerBody = z.infer<typeof RegisteredServer>;
export type LeaseBody = z.infer<typeof Lease>;
export type JobStatusBody = z.infer<typeof JobStatus>;
export type JobResultBody = z.infer<typeof JobResult>;
export type TargetPageBody = z.infer<typeof QueueTargetPage>;
export type OpsFlagsBody = z.infer<typeof OpsFlags>;
export type ParsedInputBody = z.infer<typeof ParsedInput>;

/** Order-insensitive for object keys, exact for everything else: JSON values as JSON, not bytes. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && sameJson(ra[k], rb[k]));
  }
  return a === b;
}
