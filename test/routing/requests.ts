import { QE_INPUT, QE_MOBILE_INDICES } from '../../contract-tests/samples.js';
import type { OperationId } from '../../src/contract/operations.js';

export interface SampleRequest {
  method: string;
  path: string;
  json?: unknown;
  user?: string;
  admin?: boolean;
  bearer?: string;
}

const JOB = 'http-0123456789abcdef0123456789abcdef';

/** One contract-valid request per operation: what the routing tests send. */
export const SAMPLE_REQUESTS: Record<OperationId, SampleRequest> = {
  parseQeInput: { method: 'POST', path: '/api/zpe/parse', json: { content: QE_INPUT } },
  submitJob: {
    method: 'POST',
    path: '/api/zpe/jobs',
    json: { content: QE_INPUT, mobile_indices: QE_MOBILE_INDICES },
    user: 'alice',
  },
  getJobStatus: { method: 'GET', path: `/api/zpe/jobs/${JOB}`, user: 'alice' },
  getJobResult: { method: 'GET', path: `/api/zpe/jobs/${JOB}/result`, user: 'alice' },
  downloadJobFile: { method: 'GET', path: `/api/zpe/jobs/${JOB}/files?kind=summary`, user: 'alice' },
  createEnrollToken: { method: 'POST', path: '/api/zpe/compute/enroll-tokens', json: {}, user: 'alice' },
  registerComputeServer: { method: 'POST', path: '/api/zpe/compute/servers', json: { token: 'not-a-token' } },
  revokeComputeServer: {
    method: 'DELETE',
    path: '/api/zpe/compute/servers/compute-0123456789abcdef0123456789abcdef',
    admin: true,
  },
  leaseJob: { method: 'POST', path: '/api/zpe/compute/jobs/lease', bearer: 'worker-token' },
  reportJobResult: {
    method: 'POST',
    path: `/api/zpe/compute/jobs/${JOB}/result`,
    json: { lease_id: 'l', result: {}, summary_text: '', freqs_csv: '' },
    bearer: 'worker-token',
  },
  reportJobFailure: {
    method: 'POST',
    path: `/api/zpe/compute/jobs/${JOB}/failed`,
    json: { lease_id: 'l', error_code: 'E', error_message: 'm' },
    bearer: 'worker-token',
  },
  listQueueTargets: { method: 'GET', path: '/api/zpe/targets', user: 'alice' },
  selectQueueTarget: {
    method: 'PUT',
    path: '/api/zpe/targets/qt-0123456789abcdef0123456789abcdef/active',
    user: 'alice',
  },
  getOpsFlags: { method: 'GET', path: '/api/zpe/admin/ops', admin: true },
  updateOpsFlags: { method: 'PATCH', path: '/api/zpe/admin/ops', json: {}, admin: true },
};

export function requestInit(sample: SampleRequest): RequestInit & { admin?: boolean; user?: string; json?: unknown } {
  const headers: Record<string, string> = {};
  if (sample.bearer) headers.authorization = `Bearer ${sample.bearer}`;
  return { method: sample.method, json: sample.json, user: sample.user, admin: sample.admin, headers };
}
