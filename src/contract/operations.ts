import type { RouteConfig } from '@hono/zod-openapi';
import admin from './routes/admin.js';
import compute from './routes/compute.js';
import jobs from './routes/jobs.js';
import parse from './routes/parse.js';
import targets from './routes/targets.js';

/** The whole `/api/zpe/*` contract, one entry per operation, in the order of DESIGN.md. */
export const OPERATIONS: readonly RouteConfig[] = [...parse, ...jobs, ...compute, ...targets, ...admin];

export type Operation = RouteConfig;
export type OperationId =
  | 'parseQeInput'
  | 'submitJob'
  | 'getJobStatus'
  | 'getJobResult'
  | 'downloadJobFile'
  | 'createEnrollToken'
  | 'registerComputeServer'
  | 'revokeComputeServer'
  | 'leaseJob'
  | 'reportJobResult'
  | 'reportJobFailure'
  | 'listQueueTargets'
  | 'selectQueueTarget'
  | 'getOpsFlags'
  | 'updateOpsFlags';

export function operationId(op: Operation): OperationId {
  return op.operationId as OperationId;
}

export const OPERATION_IDS: OperationId[] = OPERATIONS.map(operationId);

const byId = new Map<string, Operation>(OPERATIONS.map((op) => [operationId(op), op]));

export function operationById(id: string): Operation | undefined {
  return byId.get(id);
}

export function isOperationId(id: string): id is OperationId {
  return byId.has(id);
}

/** Reads change nothing: they may be retried once, shadowed, and tried at the other backend for continuity. */
export function isRead(op: Pick<RouteConfig, 'method'>): boolean {
  return op.method === 'get';
}

/** `GET /api/zpe/jobs/{job_id}`, the way people and the retirement plan name operations. */
export function operationLabel(op: Pick<RouteConfig, 'method' | 'path'>): string {
  return `${op.method.toUpperCase()} ${op.path}`;
}
