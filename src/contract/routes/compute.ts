import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonBody, ROUTED, WITH_BODY } from '../responses.js';
import {
  EnrollToken,
  EnrollTokenRequest,
  Lease,
  RegisteredServer,
  RevokedServer,
  ServerIdParams,
  ServerRegistration,
  WorkerFailure,
  WorkerFailureAccepted,
  WorkerResult,
  WorkerResultAccepted,
} from '../schemas/compute.js';
import { JobIdParams } from '../schemas/jobs.js';
import { ADMIN, USER, WORKER } from '../security.js';

const tags = ['compute'];

const jsonRequest = <T>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });

export const createEnrollToken = createRoute({
  operationId: 'createEnrollToken',
  summary: 'Create a worker enrollment token',
  description: 'A user gets a token they own (their servers become their queue targets); an admin gets an unowned one.',
  method: 'post',
  path: '/api/zpe/compute/enroll-tokens',
  tags,
  security: [...USER, ...ADMIN],
  request: jsonRequest(EnrollTokenRequest),
  responses: {
    200: jsonBody(EnrollToken, 'A single-use enrollment token.'),
    ...errorResponses(...ROUTED, ...WITH_BODY, 401, 403),
  },
});

export const registerComputeServer = createRoute({
  operationId: 'registerComputeServer',
  summary: 'Register a compute server with an enrollment token',
  description: 'Consumes the enrollment token exactly once and issues a worker token.',
  method: 'post',
  path: '/api/zpe/compute/servers',
  tags,
  security: [],
  request: jsonRequest(ServerRegistration),
  responses: {
    200: jsonBody(RegisteredServer, 'The server and its worker token.'),
    ...errorResponses(...ROUTED, ...WITH_BODY),
  },
});

export const revokeComputeServer = createRoute({
  operationId: 'revokeComputeServer',
  summary: 'Emergency revoke: revoke every token of a compute server',
  method: 'delete',
  path: '/api/zpe/compute/servers/{server_id}',
  tags,
  security: ADMIN,
  request: { params: ServerIdParams },
  responses: {
    200: {
      ...jsonBody(RevokedServer, 'How many tokens were revoked, in all.'),
      headers: z.object({
        'x-zpe-revoked': z
          .string()
          .optional()
          .openapi({
            description:
              'Set by the gateway: what each backend revoked (`legacy=2,nextgen=0`); on a partial failure also ' +
              'sent with the failing answer, naming the failure (`nextgen=failed:401`).',
            example: 'legacy=2,nextgen=0',
          }),
      }),
    },
    ...errorResponses(...ROUTED, 401, 403),
  },
});

export const leaseJob = createRoute({
  operationId: 'leaseJob',
  summary: 'Lease the next queued job',
  method: 'post',
  path: '/api/zpe/compute/jobs/lease',
  tags,
  security: WORKER,
  responses: {
    200: jsonBody(Lease, 'A job, leased to the calling worker until the lease expires.'),
    204: { description: 'No job is waiting, or dequeue is turned off.' },
    ...errorResponses(...ROUTED, 401, 403),
  },
});

export const reportJobResult = createRoute({
  operationId: 'reportJobResult',
  summary: 'Report a leased job’s result',
  method: 'post',
  path: '/api/zpe/compute/jobs/{job_id}/result',
  tags,
  security: WORKER,
  request: { params: JobIdParams, ...jsonRequest(WorkerResult) },
  responses: {
    200: jsonBody(WorkerResultAccepted, 'Stored; `idempotent` when the same result was already stored.'),
    ...errorResponses(...ROUTED, ...WITH_BODY, 401, 403, 409),
  },
});

export const reportJobFailure = createRoute({
  operationId: 'reportJobFailure',
  summary: 'Report a leased job’s failure',
  description: 'The job is retried after a backoff until the retry limit, then dead-lettered.',
  method: 'post',
  path: '/api/zpe/compute/jobs/{job_id}/failed',
  tags,
  security: WORKER,
  request: { params: JobIdParams, ...jsonRequest(WorkerFailure) },
  responses: {
    200: jsonBody(WorkerFailureAccepted, 'Requeued, or dead-lettered past the retry limit.'),
    ...errorResponses(...ROUTED, ...WITH_BODY, 401, 403, 409),
  },
});

export default [
  createEnrollToken,
  registerComputeServer,
  revokeComputeServer,
  leaseJob,
  reportJobResult,
  reportJobFailure,
];
