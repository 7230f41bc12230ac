import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, WITH_BODY } from '../responses.js';
import { OpsFlags, OpsFlagsChange } from '../schemas/ops.js';
import { ADMIN } from '../security.js';

const tags = ['admin'];

export const getOpsFlags = createRoute({
  operationId: 'getOpsFlags',
  summary: 'Read the cutover flags',
  method: 'get',
  path: '/api/zpe/admin/ops',
  tags,
  security: ADMIN,
  responses: {
    200: jsonBody(OpsFlags, 'The flags in force.'),
    ...errorResponses(401, 403, 503),
  },
});

export const updateOpsFlags = createRoute({
  operationId: 'updateOpsFlags',
  summary: 'Change cutover flags',
  description:
    'Fields left out or null are unchanged. Forward changes that skip a step of the retirement plan are refused with 409 ' +
    'unless forced; moving back toward legacy is always allowed.',
  method: 'patch',
  path: '/api/zpe/admin/ops',
  tags,
  security: ADMIN,
  request: { body: { required: true, content: { 'application/json': { schema: OpsFlagsChange } } } },
  responses: {
    200: jsonBody(OpsFlags, 'The flags in force after the change.'),
    ...errorResponses(...WITH_BODY, 401, 403, 409, 422, 503),
  },
});

export default [getOpsFlags, updateOpsFlags];
