import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, ROUTED } from '../responses.js';
import { ActiveTarget, QueueTargetPage, QueueTargetPageQuery, TargetIdParams } from '../schemas/targets.js';
import { USER } from '../security.js';

const tags = ['targets'];

export const listQueueTargets = createRoute({
  operationId: 'listQueueTargets',
  summary: 'List the caller’s queue targets',
  method: 'get',
  path: '/api/zpe/targets',
  tags,
  security: USER,
  request: { query: QueueTargetPageQuery },
  responses: {
    200: jsonBody(QueueTargetPage, 'One page of targets, oldest first, and the active one.'),
    ...errorResponses(...ROUTED, 401, 403),
  },
});

export const selectQueueTarget = createRoute({
  operationId: 'selectQueueTarget',
  summary: 'Make one of the caller’s queue targets the active one',
  method: 'put',
  path: '/api/zpe/targets/{target_id}/active',
  tags,
  security: USER,
  request: { params: TargetIdParams },
  responses: {
    200: jsonBody(ActiveTarget, 'The new active target.'),
    ...errorResponses(...ROUTED, 401, 403, 404),
  },
});

export default [listQueueTargets, selectQueueTarget];
