import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, jsonBody, ROUTED, WITH_BODY } from '../responses.js';
import { JobAccepted, JobFileQuery, JobIdParams, JobResult, JobStatus, JobSubmission } from '../schemas/jobs.js';
import { USER } from '../security.js';

const tags = ['jobs'];

export const submitJob = createRoute({
  operationId: 'submitJob',
  summary: 'Submit a ZPE job',
  description:
    'Validates the QE input against the mobile indices and queues the job on the caller’s active queue target. ' +
    'Routed by `submission_enabled` and `submission_route`.',
  method: 'post',
  path: '/api/zpe/jobs',
  tags,
  security: USER,
  request: {
    headers: z.object({
      'idempotency-key': z
        .string()
        .optional()
        .openapi({
          description:
            'draft-ietf-httpapi-idempotency-key-header: a retry with the same key and the same body answers the ' +
            'same job id instead of queuing a second job (keys are per user, kept as long as results); the key ' +
            'reused with another body is 422. A 503 may still have queued the job: retry with the same key.',
          example: '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
        }),
    }),
    body: { required: true, content: { 'application/json': { schema: JobSubmission } } },
  },
  responses: {
    200: jsonBody(JobAccepted, 'The job was accepted and queued.'),
    ...errorResponses(...ROUTED, ...WITH_BODY, 401, 403),
  },
});

export const getJobStatus = createRoute({
  operationId: 'getJobStatus',
  summary: 'Get a job’s status',
  method: 'get',
  path: '/api/zpe/jobs/{job_id}',
  tags,
  security: USER,
  request: { params: JobIdParams },
  responses: {
    200: jsonBody(JobStatus, 'The job’s current status.'),
    // 400: a stored status the legacy cannot read (`invalid job state: …`).
    ...errorResponses(...ROUTED, 400, 401, 403, 404),
  },
});

export const getJobResult = createRoute({
  operationId: 'getJobResult',
  summary: 'Get a finished job’s result',
  method: 'get',
  path: '/api/zpe/jobs/{job_id}/result',
  tags,
  security: USER,
  request: { params: JobIdParams },
  responses: {
    200: jsonBody(JobResult, 'The result the worker reported.'),
    // 400 and 500 as the legacy answers a stored status or result it cannot read (`result data invalid`).
    ...errorResponses(...ROUTED, 400, 401, 403, 404, 409, 500),
  },
});

export const downloadJobFile = createRoute({
  operationId: 'downloadJobFile',
  summary: 'Download a finished job’s summary or frequencies file',
  description: '`kind=summary` answers `summary.txt` as text/plain; `kind=freqs` answers `freqs.csv` as text/csv.',
  method: 'get',
  path: '/api/zpe/jobs/{job_id}/files',
  tags,
  security: USER,
  request: { params: JobIdParams, query: JobFileQuery },
  responses: {
    200: {
      description: 'The file, as an attachment.',
      headers: z.object({
        'Content-Disposition': z.string().openapi({ example: 'attachment; filename="summary.txt"' }),
      }),
      content: {
        'text/plain': { schema: z.string().openapi({ description: 'summary.txt' }) },
        'text/csv': { schema: z.string().openapi({ description: 'freqs.csv' }) },
      },
    },
    // 400 and 500 as the legacy answers a stored status it cannot read, or a file missing after completion.
    ...errorResponses(...ROUTED, 400, 401, 403, 404, 409, 500),
  },
});

export default [submitJob, getJobStatus, getJobResult, downloadJobFile];
