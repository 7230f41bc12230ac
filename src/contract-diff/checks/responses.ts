import { compareSchemas } from '../compare-schema.js';
import { deref, isSuccessStatus } from '../document.js';
import { type Check, rule } from '../rules.js';
import { PROPERTY_RULES, schemaRules } from '../schema-rules.js';
import { isObject, type JsonObject, type JsonValue } from '../types.js';

/**
 * Statuses and, for success statuses only, media types and bodies. Error bodies are not compared:
 * a client branches on the status of an error, and the gateway's error envelope replaces the legacy ones.
 */
export const responseCheck: Check = {
  name: 'responses',
  rules: [
    rule('response-success-status-removed', 'ERR', 'a success status is no longer returned'),
    rule('response-success-status-added', 'INFO', 'a success status was added'),
    rule('response-non-success-status-removed', 'INFO', 'an error status is no longer documented'),
    rule('response-non-success-status-added', 'INFO', 'an error status was documented'),
    rule('response-media-type-removed', 'ERR', 'a success response media type is no longer returned'),
    rule(
      'response-media-type-name-changed',
      'WARN',
      'a success response media type that declared no schema was replaced by other media types',
    ),
    rule('response-media-type-added', 'INFO', 'a success response media type was added'),
    ...schemaRules('response-body'),
    ...schemaRules('response-property'),
    ...PROPERTY_RULES.response,
  ],
  run(ctx, report) {
    for (const { base, head, method, path } of ctx.matched) {
      const where = { method, path };
      const before = responses(base.operation);
      const after = responses(head.operation);
      for (const [status, raw] of Object.entries(before)) {
        const success = isSuccessStatus(status);
        const kind = success ? 'success' : 'non-success';
        if (!(status in after)) {
          report(`response-${kind}-status-removed`, where, `response status ${status} removed`);
          continue;
        }
        if (!success) continue;
        const baseContent = content(ctx.base, raw);
        const headContent = content(ctx.head, after[status]);
        const added = Object.keys(headContent).filter((mediaType) => !(mediaType in baseContent));
        for (const [mediaType, media] of Object.entries(baseContent)) {
          if (!(mediaType in headContent)) {
            // FastAPI documents `application/json` with an empty schema for handlers that build their own
            // response; it promised no payload, so its replacement is flagged for review, not failed.
            if (declaresNoPayload(media) && added.length > 0) {
              report(
                'response-media-type-name-changed',
                where,
                `response media type '${mediaType}' (no schema) replaced by '${added.join("', '")}' for status ${status}`,
              );
            } else {
              report(
                'response-media-type-removed',
                where,
                `response media type '${mediaType}' removed for status ${status}`,
              );
            }
            continue;
          }
          const suffix = ` for status ${status}${Object.keys(baseContent).length > 1 ? ` (${mediaType})` : ''}`;
          const subject = {
            direction: 'response',
            prefix: 'response-body',
            label: 'response body',
            root: 'response',
            path: '',
            suffix,
            where,
          } as const;
          compareSchemas(
            { base: ctx.base, head: ctx.head, report },
            schemaOf(media),
            schemaOf(headContent[mediaType]),
            subject,
          );
        }
        for (const mediaType of added) {
          report('response-media-type-added', where, `response media type '${mediaType}' added for status ${status}`);
        }
      }
      for (const status of Object.keys(after)) {
        if (status in before) continue;
        const kind = isSuccessStatus(status) ? 'success' : 'non-success';
        report(`response-${kind}-status-added`, where, `response status ${status} added`);
      }
    }
  },
};

function responses(operation: JsonObject): JsonObject {
  return isObject(operation.responses) ? operation.responses : {};
}

function content(doc: JsonObject, response: JsonValue | undefined): JsonObject {
  const resolved = deref(doc, response);
  return isObject(resolved) && isObject(resolved.content) ? resolved.content : {};
}

function schemaOf(media: JsonValue | undefined): JsonValue | undefined {
  return isObject(media) ? media.schema : undefined;
}

function declaresNoPayload(media: JsonValue): boolean {
  const schema = schemaOf(media);
  return schema === undefined || schema === true || (isObject(schema) && Object.keys(schema).length === 0);
}
