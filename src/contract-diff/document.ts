import { isObject, type JsonObject, type JsonValue } from './types.js';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface OperationRef {
  /** Upper-case, e.g. `GET`. */
  method: string;
  path: string;
  operation: JsonObject;
  pathItem: JsonObject;
}

export interface OperationPair {
  method: string;
  /** The head's spelling of the path. */
  path: string;
  base: OperationRef;
  head: OperationRef;
}

/** Thrown when a document is not something this tool can compare; the CLI turns it into exit code 2. */
export class ContractInputError extends Error {}

/** Checks the little the engine relies on: an OpenAPI 3.x object with a `paths` object. */
export function asOpenApiDocument(value: unknown, source: string): JsonObject {
  if (!isObject(value) || typeof value.openapi !== 'string' || !value.openapi.startsWith('3.')) {
    throw new ContractInputError(`${source} is not an OpenAPI 3.x document (no "openapi": "3.x" field)`);
  }
  if (value.paths !== undefined && !isObject(value.paths)) {
    throw new ContractInputError(`${source} has a "paths" that is not an object`);
  }
  return value;
}

/**
 * Follows a local `$ref` (`#/components/...`). Sibling keywords of the `$ref` (allowed in 3.1, e.g. a
 * description) are laid over the target. Returns the referenced names in `refs` so callers can guard cycles.
 */
export function deref(doc: JsonObject, value: JsonValue | undefined, refs: string[] = []): JsonValue | undefined {
  let current = value;
  const seen = new Set<string>();
  while (isObject(current) && typeof current.$ref === 'string') {
    const ref = current.$ref;
    if (seen.has(ref)) return {};
    seen.add(ref);
    refs.push(ref);
    const target = resolvePointer(doc, ref);
    if (target === undefined) throw new ContractInputError(`unresolvable $ref '${ref}'`);
    const { $ref: _ignored, ...siblings } = current;
    current = isObject(target) && Object.keys(siblings).length > 0 ? { ...target, ...siblings } : target;
  }
  return current;
}

function resolvePointer(doc: JsonObject, ref: string): JsonValue | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: JsonValue | undefined = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** `/jobs/{id}` and `/jobs/{job_id}` are the same route: parameter names do not reach the wire. */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.replace(/\{[^}]*\}/g, '{}')}`;
}

export function operations(doc: JsonObject, pathPrefix = ''): Map<string, OperationRef> {
  const out = new Map<string, OperationRef>();
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, rawItem] of Object.entries(paths)) {
    if (!path.startsWith(pathPrefix)) continue;
    const pathItem = deref(doc, rawItem);
    if (!isObject(pathItem)) continue;
    for (const method of HTTP_METHODS) {
      const operation = deref(doc, pathItem[method]);
      if (!isObject(operation)) continue;
      out.set(routeKey(method, path), { method: method.toUpperCase(), path, operation, pathItem });
    }
  }
  return out;
}

export function isSuccessStatus(status: string): boolean {
  return /^2(\d\d|XX)$/i.test(status);
}
