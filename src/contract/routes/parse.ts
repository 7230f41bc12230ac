import { createRoute } from '@hono/zod-openapi';
import { errorResponses, jsonBody, ROUTED, WITH_BODY } from '../responses.js';
import { ParsedInput, ParseRequest } from '../schemas/parse.js';

export const parseQeInput = createRoute({
  operationId: 'parseQeInput',
  summary: 'Parse a QE input into a structure',
  description:
    'Stateless and outside the retirement: served by next-gen when configured, else by an HTTP legacy control plane, ' +
    'else by the gateway itself, answering as the legacy does. A non-empty `structure_id` names a stored structure: 404 when unknown.',
  method: 'post',
  path: '/api/zpe/parse',
  tags: ['parse'],
  security: [],
  request: { body: { required: true, content: { 'application/json': { schema: ParseRequest } } } },
  responses: {
    200: jsonBody(ParsedInput, 'The structure, fixed atoms, species and k-point grid.'),
    ...errorResponses(...ROUTED, ...WITH_BODY, 404, 409),
  },
});

export default [parseQeInput];
