import { OpenAPIHono } from '@hono/zod-openapi';
import { publishedOperations } from '../lifecycle/contract.js';
import type { Lifecycle } from '../lifecycle/derive.js';
import { securitySchemes } from './security.js';

export const CONTRACT_INFO = {
  title: 'ZPE compute API',
  version: '1.0.0',
  description:
    'The public `/api/zpe/*` contract of the ZPE compute service, served by zpe-gateway. Errors always use the ' +
    '`ErrorEnvelope`. Every response says how it was routed in `x-zpe-backend`, `x-zpe-route-reason` and `x-zpe-flags-version`.',
};

const TAGS = [
  { name: 'parse', description: 'Stateless QE input parsing.' },
  { name: 'jobs', description: 'Submit ZPE jobs and read their status, result and files.' },
  { name: 'compute', description: 'Compute workers: enrollment, leasing, results, failures, revocation.' },
  { name: 'targets', description: 'The caller’s queue targets.' },
  { name: 'admin', description: 'Cutover flags and operator controls.' },
];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Objects with their keys sorted, recursively: one byte-stable form for the committed artifact and for diffs. */
export function canonicalize(value: unknown): JsonValue {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = canonicalize(v);
    }
    return out;
  }
  return value as JsonValue;
}

/**
 * The OpenAPI 3.1 document of the contract, generated from the route definitions and the retirement
 * lifecycle (default: the committed routes/retirement.json): removed operations left out, deprecated marked.
 */
export function buildDocument(lifecycle?: Lifecycle): { [key: string]: JsonValue } {
  const generator = new OpenAPIHono();
  for (const [name, scheme] of Object.entries(securitySchemes)) {
    generator.openAPIRegistry.registerComponent('securitySchemes', name, { ...scheme });
  }
  for (const operation of publishedOperations(lifecycle)) generator.openAPIRegistry.registerPath(operation);
  const document = generator.getOpenAPI31Document({
    openapi: '3.1.0',
    info: CONTRACT_INFO,
    tags: TAGS,
  });
  return canonicalize(document) as { [key: string]: JsonValue };
}

export function serializeDocument(document: unknown): string {
  return `${JSON.stringify(canonicalize(document), null, 2)}\n`;
}
