import { compareSchemas } from '../compare-schema.js';
import { deref } from '../document.js';
import { type Check, rule } from '../rules.js';
import { PROPERTY_RULES, schemaRules } from '../schema-rules.js';
import { isObject, type JsonObject } from '../types.js';

export const requestBodyCheck: Check = {
  name: 'request body',
  rules: [
    rule('request-body-removed', 'ERR', 'the request body was removed'),
    rule('added-required-request-body', 'ERR', 'a required request body was added'),
    rule('added-optional-request-body', 'INFO', 'an optional request body was added'),
    rule('request-body-became-required', 'ERR', 'the request body became required'),
    rule('request-body-became-optional', 'INFO', 'the request body became optional'),
    rule('request-body-media-type-removed', 'ERR', 'a request media type is no longer accepted'),
    rule('request-body-media-type-added', 'INFO', 'a request media type is now accepted'),
    ...schemaRules('request-body'),
    ...schemaRules('request-property'),
    ...PROPERTY_RULES.request,
  ],
  run(ctx, report) {
    for (const { base, head, method, path } of ctx.matched) {
      const where = { method, path };
      const before = body(ctx.base, base.operation);
      const after = body(ctx.head, head.operation);
      if (!before && !after) continue;
      if (!after) {
        report('request-body-removed', where, 'request body removed');
        continue;
      }
      const required = after.required === true;
      if (!before) {
        report(
          `added-${required ? 'required' : 'optional'}-request-body`,
          where,
          `${required ? 'required' : 'optional'} request body added`,
        );
        continue;
      }
      if ((before.required === true) !== required) {
        report(
          `request-body-became-${required ? 'required' : 'optional'}`,
          where,
          `request body became ${required ? 'required' : 'optional'}`,
        );
      }
      const baseContent = isObject(before.content) ? before.content : {};
      const headContent = isObject(after.content) ? after.content : {};
      for (const [mediaType, media] of Object.entries(baseContent)) {
        const match = headContent[mediaType];
        if (!isObject(match)) {
          report('request-body-media-type-removed', where, `request media type '${mediaType}' removed`);
          continue;
        }
        const suffix = Object.keys(baseContent).length > 1 ? ` (${mediaType})` : '';
        const subject = {
          direction: 'request',
          prefix: 'request-body',
          label: 'request body',
          root: 'request',
          path: '',
          suffix,
          where,
        } as const;
        compareSchemas(
          { base: ctx.base, head: ctx.head, report },
          isObject(media) ? media.schema : undefined,
          match.schema,
          subject,
        );
      }
      for (const mediaType of Object.keys(headContent)) {
        if (!(mediaType in baseContent))
          report('request-body-media-type-added', where, `request media type '${mediaType}' added`);
      }
    }
  },
};

function body(doc: JsonObject, operation: JsonObject): JsonObject | undefined {
  const value = deref(doc, operation.requestBody);
  return isObject(value) ? value : undefined;
}
