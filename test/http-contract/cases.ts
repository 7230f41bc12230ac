import type { Send } from './harness.js';

/**
 * The request validation of legacy-http-behaviour.md, operation by operation: what the legacy
 * (FastAPI 0.128, pydantic 2) answers, with its exact `details`. Every request is sent without
 * credentials: a request that passes validation then meets the next check of its operation (401 for a
 * user, worker or admin; the flag or the token check where no identity is needed), which shows that
 * validation came first and let it through. The messages below are pydantic's, written out here (not
 * taken from the gateway's code) and checked against pydantic 2.13 while writing them.
 */

export interface Detail {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

export interface Case {
  name: string;
  send: Send;
  status: number;
  /** For 422: the exact entries, in order. */
  details?: Detail[];
  message?: string;
}

const detail = (type: string, loc: Detail['loc'], msg: string, input: unknown, ctx?: Detail['ctx']): Detail =>
  ctx ? { type, loc, msg, input, ctx } : { type, loc, msg, input };

export const missing = (loc: Detail['loc'], input: unknown) => detail('missing', loc, 'Field required', input);
export const extra = (loc: Detail['loc'], input: unknown) =>
  detail('extra_forbidden', loc, 'Extra inputs are not permitted', input);
export const notString = (loc: Detail['loc'], input: unknown) =>
  detail('string_type', loc, 'Input should be a valid string', input);
export const notObject = (loc: Detail['loc'], input: unknown) =>
  detail('model_attributes_type', loc, 'Input should be a valid dictionary or object to extract fields from', input);
export const notDict = (loc: Detail['loc'], input: unknown) =>
  detail('dict_type', loc, 'Input should be a valid dictionary', input);
export const notList = (loc: Detail['loc'], input: unknown) =>
  detail('list_type', loc, 'Input should be a valid list', input);
export const intParsing = (loc: Detail['loc'], input: unknown) =>
  detail('int_parsing', loc, 'Input should be a valid integer, unable to parse string as an integer', input);
export const intFromFloat = (loc: Detail['loc'], input: unknown) =>
  detail('int_from_float', loc, 'Input should be a valid integer, got a number with a fractional part', input);
export const notInt = (loc: Detail['loc'], input: unknown) =>
  detail('int_type', loc, 'Input should be a valid integer', input);
export const notFinite = (loc: Detail['loc'], input: unknown) =>
  detail('finite_number', loc, 'Input should be a finite number', input);
export const boolParsing = (loc: Detail['loc'], input: unknown) =>
  detail('bool_parsing', loc, 'Input should be a valid boolean, unable to interpret input', input);
export const notBool = (loc: Detail['loc'], input: unknown) =>
  detail('bool_type', loc, 'Input should be a valid boolean', input);
export const literal = (loc: Detail['loc'], input: unknown, expected: string) =>
  detail('literal_error', loc, `Input should be ${expected}`, input, { expected });
export const atLeast = (loc: Detail['loc'], input: unknown, ge: number) =>
  detail('greater_than_equal', loc, `Input should be greater than or equal to ${ge}`, input, { ge });
export const jsonInvalid = (offset: number, error: string) =>
  detail('json_invalid', ['body', offset], 'JSON decode error', {}, { error });

const post = (path: string, body?: string, contentType?: string | null): Send => ({
  method: 'POST',
  path,
  body,
  ...(contentType !== undefined ? { contentType } : {}),
});

const JOB = 'http-0123456789abcdef0123456789abcdef';
const CALC_TYPES = "'qe.zpe.v1' or 'qe.relax.v1'";
const FILE_KINDS = "'summary' or 'freqs'";
const NO_BODY = [missing(['body'], null)];

export const CASES: Record<string, Case[]> = {
  'POST /api/zpe/parse': [
    { name: 'no body', send: post('/api/zpe/parse'), status: 422, details: NO_BODY },
    { name: 'JSON null', send: post('/api/zpe/parse', 'null'), status: 422, details: NO_BODY },
    {
      name: 'no content',
      send: post('/api/zpe/parse', '{}'),
      status: 422,
      details: [missing(['body', 'content'], {})],
    },
    {
      name: 'wrong types and an unknown field, in field order',
      send: post('/api/zpe/parse', '{"x": true, "structure_id": 2, "content": 1}'),
      status: 422,
      details: [notString(['body', 'content'], 1), notString(['body', 'structure_id'], 2), extra(['body', 'x'], true)],
    },
    {
      name: 'a JSON array',
      send: post('/api/zpe/parse', '[1, 2]'),
      status: 422,
      details: [notObject(['body'], [1, 2])],
    },
    {
      name: 'text/plain: the raw text',
      send: post('/api/zpe/parse', '{"content": "x"}', 'text/plain'),
      status: 422,
      details: [notObject(['body'], '{"content": "x"}')],
    },
    {
      name: 'cut JSON',
      send: post('/api/zpe/parse', '{"content": '),
      status: 422,
      details: [jsonInvalid(12, 'Expecting value')],
    },
    {
      name: 'blank body',
      send: post('/api/zpe/parse', '  '),
      status: 422,
      details: [jsonInvalid(2, 'Expecting value')],
    },
  ],

  'POST /api/zpe/jobs': [
    { name: 'no body', send: post('/api/zpe/jobs', undefined, null), status: 422, details: NO_BODY },
    {
      name: 'nothing in it',
      send: post('/api/zpe/jobs', '{}'),
      status: 422,
      details: [missing(['body', 'content'], {}), missing(['body', 'mobile_indices'], {})],
    },
    {
      name: 'every field wrong, reported in the model order, unknown keys last',
      send: post(
        '/api/zpe/jobs',
        '{"surprise": true, "structure_id": [], "calc_mode": "x", "input_dir": 1, "use_environ": "maybe", ' +
          '"mobile_indices": "all", "content": 1, "calc_type": "vasp"}',
      ),
      status: 422,
      details: [
        literal(['body', 'calc_type'], 'vasp', CALC_TYPES),
        notString(['body', 'content'], 1),
        notList(['body', 'mobile_indices'], 'all'),
        boolParsing(['body', 'use_environ'], 'maybe'),
        notString(['body', 'input_dir'], 1),
        literal(['body', 'calc_mode'], 'x', "'new' or 'continue'"),
        notString(['body', 'structure_id'], []),
        extra(['body', 'surprise'], true),
      ],
    },
    {
      name: 'indices that are not integers, each at its index',
      send: post('/api/zpe/jobs', '{"content": "x", "mobile_indices": [1.5, "1.5", null, "abc", 2, NaN]}'),
      status: 422,
      details: [
        intFromFloat(['body', 'mobile_indices', 0], 1.5),
        intParsing(['body', 'mobile_indices', 1], '1.5'),
        notInt(['body', 'mobile_indices', 2], null),
        intParsing(['body', 'mobile_indices', 3], 'abc'),
        // Python reads NaN; JSON cannot spell it back, so the echo says it in a string.
        notFinite(['body', 'mobile_indices', 5], 'NaN'),
      ],
    },
    {
      name: 'null calc_type',
      send: post('/api/zpe/jobs', '{"calc_type": null, "content": "x", "mobile_indices": []}'),
      status: 422,
      details: [literal(['body', 'calc_type'], null, CALC_TYPES)],
    },
    {
      name: 'use_environ 0.5',
      send: post('/api/zpe/jobs', '{"content": "x", "mobile_indices": [], "use_environ": 0.5}'),
      status: 422,
      details: [notBool(['body', 'use_environ'], 0.5)],
    },
    {
      name: 'a list of objects',
      send: post('/api/zpe/jobs', '[{"content": "x"}]'),
      status: 422,
      details: [notObject(['body'], [{ content: 'x' }])],
    },
    {
      name: 'lax integers and booleans pass: "1", 1.0, true, " 2 ", "4.00", "1_0"; "YES"',
      send: post(
        '/api/zpe/jobs',
        '{"content": "x", "mobile_indices": ["1", 1.0, true, " 2 ", "4.00", "1_0"], "use_environ": "YES"}',
      ),
      status: 401,
    },
    {
      name: 'application/*+json is JSON',
      send: post('/api/zpe/jobs', '{"content": "x", "mobile_indices": [0]}', 'application/vnd.zpe+json; charset=utf-8'),
      status: 401,
    },
    {
      name: 'no Content-Type is JSON',
      send: post('/api/zpe/jobs', '{"content": "x", "mobile_indices": [0]}', null),
      status: 401,
    },
    {
      name: 'text/json is not',
      send: post('/api/zpe/jobs', '{"content": "x", "mobile_indices": [0]}', 'text/json'),
      status: 422,
      details: [notObject(['body'], '{"content": "x", "mobile_indices": [0]}')],
    },
  ],

  'GET /api/zpe/jobs/{job_id}/files': [
    {
      name: 'no kind',
      send: { method: 'GET', path: `/api/zpe/jobs/${JOB}/files` },
      status: 422,
      details: [missing(['query', 'kind'], null)],
    },
    {
      name: 'an unknown kind',
      send: { method: 'GET', path: `/api/zpe/jobs/${JOB}/files?kind=pdf` },
      status: 422,
      details: [literal(['query', 'kind'], 'pdf', FILE_KINDS)],
    },
    {
      name: 'an empty kind',
      send: { method: 'GET', path: `/api/zpe/jobs/${JOB}/files?kind=` },
      status: 422,
      details: [literal(['query', 'kind'], '', FILE_KINDS)],
    },
    {
      name: 'kind in capitals',
      send: { method: 'GET', path: `/api/zpe/jobs/${JOB}/files?kind=SUMMARY` },
      status: 422,
      details: [literal(['query', 'kind'], 'SUMMARY', FILE_KINDS)],
    },
    {
      name: 'a repeated kind: the last counts; unknown parameters are ignored',
      send: { method: 'GET', path: `/api/zpe/jobs/${JOB}/files?kind=pdf&kind=freqs&other=1` },
      status: 401,
    },
  ],

  'POST /api/zpe/compute/enroll-tokens': [
    { name: 'no body', send: post('/api/zpe/compute/enroll-tokens'), status: 422, details: NO_BODY },
    { name: 'an empty object is a body', send: post('/api/zpe/compute/enroll-tokens', '{}'), status: 401 },
    {
      name: 'ttl_seconds "60", 60.0 and true pass',
      send: post('/api/zpe/compute/enroll-tokens', '{"ttl_seconds": "60", "label": null}'),
      status: 401,
    },
    { name: 'ttl_seconds 60.0', send: post('/api/zpe/compute/enroll-tokens', '{"ttl_seconds": 60.0}'), status: 401 },
    { name: 'ttl_seconds true', send: post('/api/zpe/compute/enroll-tokens', '{"ttl_seconds": true}'), status: 401 },
    {
      name: 'ttl_seconds 1.5',
      send: post('/api/zpe/compute/enroll-tokens', '{"ttl_seconds": 1.5}'),
      status: 422,
      details: [intFromFloat(['body', 'ttl_seconds'], 1.5)],
    },
    {
      name: 'ttl_seconds a list',
      send: post('/api/zpe/compute/enroll-tokens', '{"ttl_seconds": []}'),
      status: 422,
      details: [notInt(['body', 'ttl_seconds'], [])],
    },
    {
      name: 'field order, not input order',
      send: post('/api/zpe/compute/enroll-tokens', '{"label": 1, "x": 2, "ttl_seconds": "abc"}'),
      status: 422,
      details: [intParsing(['body', 'ttl_seconds'], 'abc'), notString(['body', 'label'], 1), extra(['body', 'x'], 2)],
    },
  ],

  'POST /api/zpe/compute/servers': [
    { name: 'no body', send: post('/api/zpe/compute/servers'), status: 422, details: NO_BODY },
    {
      name: 'no token',
      send: post('/api/zpe/compute/servers', '{"name": "x"}'),
      status: 422,
      details: [missing(['body', 'token'], { name: 'x' })],
    },
    {
      name: 'every field wrong',
      send: post('/api/zpe/compute/servers', '{"token": 1, "name": 2, "queue_name": [], "meta": [1]}'),
      status: 422,
      details: [
        notString(['body', 'token'], 1),
        notString(['body', 'name'], 2),
        notString(['body', 'queue_name'], []),
        notDict(['body', 'meta'], [1]),
      ],
    },
    {
      name: 'meta null',
      send: post('/api/zpe/compute/servers', '{"token": "t", "meta": null}'),
      status: 422,
      details: [notDict(['body', 'meta'], null)],
    },
    {
      name: 'valid: the token check answers',
      send: post(
        '/api/zpe/compute/servers',
        '{"token": "nope", "meta": {"a": [1]}}',
        'Application/JSON; charset=utf-8',
      ),
      status: 400,
      message: 'invalid enroll token',
    },
  ],

  'POST /api/zpe/compute/jobs/lease': [
    {
      name: 'the body is not read',
      send: post('/api/zpe/compute/jobs/lease', '{"not json'),
      status: 401,
    },
  ],

  'POST /api/zpe/compute/jobs/{job_id}/result': [
    {
      name: 'nothing in it',
      send: post(`/api/zpe/compute/jobs/${JOB}/result`, '{}'),
      status: 422,
      details: ['lease_id', 'result', 'summary_text', 'freqs_csv'].map((f) => missing(['body', f], {})),
    },
    {
      name: 'every field wrong',
      send: post(
        `/api/zpe/compute/jobs/${JOB}/result`,
        '{"meta": "m", "freqs_csv": 2, "summary_text": null, "result": [], "lease_id": 1}',
      ),
      status: 422,
      details: [
        notString(['body', 'lease_id'], 1),
        notDict(['body', 'result'], []),
        notString(['body', 'summary_text'], null),
        notString(['body', 'freqs_csv'], 2),
        notDict(['body', 'meta'], 'm'),
      ],
    },
    {
      name: 'valid',
      send: post(
        `/api/zpe/compute/jobs/${JOB}/result`,
        '{"lease_id": "l", "result": {}, "summary_text": "", "freqs_csv": ""}',
      ),
      status: 401,
    },
  ],

  'POST /api/zpe/compute/jobs/{job_id}/failed': [
    {
      name: 'missing fields: the input is the object they are missing from',
      send: post(`/api/zpe/compute/jobs/${JOB}/failed`, '{"lease_id": "l"}'),
      status: 422,
      details: [
        missing(['body', 'error_code'], { lease_id: 'l' }),
        missing(['body', 'error_message'], { lease_id: 'l' }),
      ],
    },
    {
      name: 'traceback not a string',
      send: post(
        `/api/zpe/compute/jobs/${JOB}/failed`,
        '{"lease_id": "l", "error_code": "E", "error_message": "m", "traceback": 1}',
      ),
      status: 422,
      details: [notString(['body', 'traceback'], 1)],
    },
    {
      name: 'valid, traceback null',
      send: post(
        `/api/zpe/compute/jobs/${JOB}/failed`,
        '{"lease_id": "l", "error_code": "E", "error_message": "m", "traceback": null}',
      ),
      status: 401,
    },
  ],

  'GET /api/zpe/targets': [
    {
      name: 'limit=0',
      send: { method: 'GET', path: '/api/zpe/targets?limit=0' },
      status: 422,
      details: [atLeast(['query', 'limit'], '0', 1)],
    },
    {
      name: 'both wrong, in parameter order',
      send: { method: 'GET', path: '/api/zpe/targets?offset=-1&limit=0' },
      status: 422,
      details: [atLeast(['query', 'limit'], '0', 1), atLeast(['query', 'offset'], '-1', 0)],
    },
    {
      name: 'limit not an integer',
      send: { method: 'GET', path: '/api/zpe/targets?limit=1.5' },
      status: 422,
      details: [intParsing(['query', 'limit'], '1.5')],
    },
    {
      name: 'limit empty',
      send: { method: 'GET', path: '/api/zpe/targets?limit=&offset=abc' },
      status: 422,
      details: [intParsing(['query', 'limit'], ''), intParsing(['query', 'offset'], 'abc')],
    },
    {
      name: 'limit=5.0, offset=0, an unknown parameter: fine',
      send: { method: 'GET', path: '/api/zpe/targets?limit=5.0&offset=0&other=1' },
      status: 401,
    },
  ],

  'PATCH /api/zpe/admin/ops': [
    { name: 'no body', send: { method: 'PATCH', path: '/api/zpe/admin/ops' }, status: 422, details: NO_BODY },
    { name: 'an empty object', send: { method: 'PATCH', path: '/api/zpe/admin/ops', body: '{}' }, status: 401 },
    {
      name: 'flags of the wrong kind',
      send: {
        method: 'PATCH',
        path: '/api/zpe/admin/ops',
        body:
          '{"submission_enabled": "maybe", "dequeue_enabled": 2, "submission_route": "Next-Gen", ' +
          '"result_read_source": "Redis", "legacy_worker_endpoints_enabled": []}',
      },
      status: 422,
      details: [
        boolParsing(['body', 'submission_enabled'], 'maybe'),
        boolParsing(['body', 'dequeue_enabled'], 2),
        literal(['body', 'submission_route'], 'Next-Gen', "'redis-worker' or 'next-gen'"),
        literal(['body', 'result_read_source'], 'Redis', "'redis' or 'projection'"),
        notBool(['body', 'legacy_worker_endpoints_enabled'], []),
      ],
    },
    {
      name: 'the legacy boolean spellings pass',
      send: {
        method: 'PATCH',
        path: '/api/zpe/admin/ops',
        body: '{"submission_enabled": "YES", "dequeue_enabled": 0, "legacy_worker_endpoints_enabled": "off"}',
      },
      status: 401,
    },
  ],
};

/** Python's json.loads refusals, each at its character offset (CPython 3.11), sent to POST /api/zpe/jobs. */
export const JSON_ERRORS: [string, number, string][] = [
  ['{"content": "x",}', 16, 'Expecting property name enclosed in double quotes'],
  ['{"content" "x"}', 11, "Expecting ':' delimiter"],
  ['{"content": "x" "y"}', 16, "Expecting ',' delimiter"],
  ['{"content": "a\u0001"}', 14, 'Invalid control character at'],
  ['{"content": "\\q"}', 13, 'Invalid \\escape'],
  ['{"content": "\\u12"}', 14, 'Invalid \\uXXXX escape'],
  ['{"content": "no end', 12, 'Unterminated string starting at'],
  ['{} x', 3, 'Extra data'],
  ['[1,]', 3, 'Expecting value'],
  ['{"a": 01}', 7, "Expecting ',' delimiter"],
  ['{"a": -}', 6, 'Expecting value'],
  ['{"a": nul}', 6, 'Expecting value'],
  ["{'a': 1}", 1, 'Expecting property name enclosed in double quotes'],
  // Offsets count characters as Python does: an emoji is one.
  ['{"content": "😀😀", x}', 18, 'Expecting property name enclosed in double quotes'],
];
