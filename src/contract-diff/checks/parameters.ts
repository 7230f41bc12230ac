import { compareSchemas } from '../compare-schema.js';
import { deref, type OperationRef } from '../document.js';
import { type Check, rule } from '../rules.js';
import { PROPERTY_RULES, schemaRules } from '../schema-rules.js';
import { isObject, type JsonObject } from '../types.js';

/** Query, header, path and cookie parameters, matched by location and name. */
export const parameterCheck: Check = {
  name: 'parameters',
  rules: [
    rule('request-parameter-removed', 'WARN', 'a parameter was removed; clients still sending it may be refused'),
    rule('new-required-request-parameter', 'ERR', 'a new required parameter was added'),
    rule('new-optional-request-parameter', 'INFO', 'a new optional parameter was added'),
    rule('request-parameter-became-required', 'ERR', 'an optional parameter became required'),
    rule('request-parameter-became-optional', 'INFO', 'a required parameter became optional'),
    ...schemaRules('request-parameter'),
    ...schemaRules('request-property'),
    ...PROPERTY_RULES.request,
  ],
  run(ctx, report) {
    for (const { base, head, method, path } of ctx.matched) {
      const where = { method, path };
      const before = parameters(ctx.base, base, head.path);
      const after = parameters(ctx.head, head, head.path);
      for (const [key, param] of before) {
        const label = `${param.in} parameter '${param.name}'`;
        const match = after.get(key);
        if (!match) {
          report('request-parameter-removed', where, `${label} removed`);
          continue;
        }
        if (param.required !== match.required) {
          const state = match.required ? 'required' : 'optional';
          report(`request-parameter-became-${state}`, where, `${label} became ${state}`);
        }
        const subject = {
          direction: 'request',
          prefix: 'request-parameter',
          label,
          root: label,
          path: '',
          suffix: '',
          where,
        } as const;
        compareSchemas({ base: ctx.base, head: ctx.head, report }, param.schema, match.schema, subject);
      }
      for (const [key, param] of after) {
        if (before.has(key)) continue;
        const state = param.required ? 'required' : 'optional';
        report(`new-${state}-request-parameter`, where, `new ${state} ${param.in} parameter '${param.name}'`);
      }
    }
  },
};

interface Parameter {
  in: string;
  name: string;
  required: boolean;
  schema: JsonObject | undefined;
}

/**
 * Path-item parameters overridden by operation ones. Path parameters are keyed by their position in
 * `routePath` (the head's spelling) because renaming `{id}` to `{job_id}` changes nothing on the wire.
 */
function parameters(doc: JsonObject, op: OperationRef, routePath: string): Map<string, Parameter> {
  const out = new Map<string, Parameter>();
  const ownNames = [...op.path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
  const routeNames = [...routePath.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
  for (const list of [op.pathItem.parameters, op.operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const param = deref(doc, raw);
      if (!isObject(param) || typeof param.name !== 'string' || typeof param.in !== 'string') continue;
      const position = param.in === 'path' ? ownNames.indexOf(param.name) : -1;
      const name = position >= 0 ? (routeNames[position] ?? param.name) : param.name;
      // Header names are case-insensitive on the wire.
      const key = `${param.in}:${param.in === 'header' ? name.toLowerCase() : name}`;
      out.set(key, {
        in: param.in,
        name,
        required: param.required === true || param.in === 'path',
        schema: isObject(param.schema) ? param.schema : undefined,
      });
    }
  }
  return out;
}
