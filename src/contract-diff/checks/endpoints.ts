import { routeKey } from '../document.js';
import { type Check, rule } from '../rules.js';
import { isObject, type JsonValue } from '../types.js';
import { REMOVAL_RULES, reportRemovedOperation } from './lifecycle.js';

/** Operations that appeared or disappeared, and what identifies and describes each one. */
export const endpointCheck: Check = {
  name: 'endpoints',
  rules: [
    ...REMOVAL_RULES,
    rule('endpoint-added', 'INFO', 'an operation was added'),
    rule(
      'api-operation-id-removed',
      'INFO',
      'the operationId changed or was removed (generated client method names change)',
    ),
    rule('api-operation-id-added', 'INFO', 'an operationId was set where there was none'),
    rule('api-summary-changed', 'INFO', 'the summary changed'),
    rule('api-tag-removed', 'INFO', 'a tag was removed from an operation'),
    rule('api-tag-added', 'INFO', 'a tag was added to an operation'),
    rule('api-security-removed', 'ERR', 'a security requirement alternative was removed'),
    rule('api-security-added', 'INFO', 'a security requirement alternative was added'),
  ],
  run(ctx, report) {
    const headRoutes = new Set([...ctx.matched.map((p) => p.head), ...ctx.added].map((op) => routeKey('*', op.path)));
    for (const removed of ctx.removed) {
      reportRemovedOperation(ctx, report, removed, !headRoutes.has(routeKey('*', removed.path)));
    }
    for (const added of ctx.added) {
      report('endpoint-added', added, `operation ${added.method} ${added.path} added`);
    }
    for (const { base, head, method, path } of ctx.matched) {
      const where = { method, path };
      const before = base.operation.operationId;
      const after = head.operation.operationId;
      if (typeof before === 'string' && before !== after) {
        report(
          'api-operation-id-removed',
          where,
          `operation id '${before}' removed and replaced with '${after ?? ''}'`,
        );
      } else if (before === undefined && typeof after === 'string') {
        report('api-operation-id-added', where, `operation id '${after}' added`);
      }
      if ((base.operation.summary ?? '') !== (head.operation.summary ?? '')) {
        report(
          'api-summary-changed',
          where,
          `summary changed from '${text(base.operation.summary)}' to '${text(head.operation.summary)}'`,
        );
      }
      const baseTags = strings(base.operation.tags);
      const headTags = strings(head.operation.tags);
      for (const tag of baseTags) if (!headTags.includes(tag)) report('api-tag-removed', where, `tag '${tag}' removed`);
      for (const tag of headTags) if (!baseTags.includes(tag)) report('api-tag-added', where, `tag '${tag}' added`);
      const baseSecurity = alternatives(base.operation.security ?? ctx.base.security);
      const headSecurity = alternatives(head.operation.security ?? ctx.head.security);
      for (const alt of baseSecurity)
        if (!headSecurity.includes(alt)) report('api-security-removed', where, `security requirement ${alt} removed`);
      for (const alt of headSecurity)
        if (!baseSecurity.includes(alt)) report('api-security-added', where, `security requirement ${alt} added`);
    }
  },
};

function text(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

function strings(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Each alternative as a stable string: scheme names sorted (`{a:[], b:[]}` → `a+b`). */
function alternatives(value: JsonValue | undefined): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((alt) => Object.keys(alt).sort().join('+') || '(none)');
}
