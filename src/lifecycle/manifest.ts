import { z } from 'zod';
import { isOperationId, OPERATION_IDS } from '../contract/operations.js';
import { isIsoDate } from './dates.js';

/** Where the manifest lives in the repository; error messages start with it. */
export const MANIFEST_PATH = 'routes/retirement.json';

const IsoDate = z.string().refine(isIsoDate, { message: 'expected a date as YYYY-MM-DD' });

const RepoPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').includes('..'), {
    message: 'expected a path relative to the repository root, without ..',
  });

const HttpUrl = z.string().refine(
  (raw) => {
    try {
      return ['http:', 'https:'].includes(new URL(raw).protocol);
    } catch {
      return false;
    }
  },
  { message: 'expected an http(s) URL' },
);

const RetiredOperation = z.strictObject({
  operation: z.string().describe('An operationId of src/contract/operations.ts.'),
  successor: HttpUrl.optional().describe(
    'What replaces it, once published: sent as `Link: <successor>; rel="successor-version"` and in the 410. Required from deprecation on.',
  ),
});

const Item = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected a kebab-case id')
    .describe('Stable id used by `retire close ITEM` and in prerequisites.'),
  text: z.string().min(1).describe('The checklist line of the plan.'),
  state: z.enum(['open', 'closed']),
  prerequisites: z.array(z.string()).describe('Items that must be closed first (the plan\u2019s "Required order").'),
  deprecation: IsoDate.optional().describe('From this date its operations are deprecated (their replacement is live).'),
  sunset: IsoDate.optional().describe('The date after which its operations may be removed; never before deprecation.'),
  operations: z.array(RetiredOperation).describe('The contract operations removed when the item closes.'),
  modules: z.array(RepoPath).describe('Gateway sources that must no longer reference Redis once the item is closed.'),
  exception: z
    .boolean()
    .optional()
    .describe('The plan\u2019s temporary exception (emergency revoke): closes last, after every other item.'),
  audit_gate: z
    .boolean()
    .optional()
    .describe('Closing needs the whole Redis dependency audit to pass (every item but the exception).'),
  notes: z.string().optional().describe('Why the item holds what it holds.'),
  closed_at: IsoDate.optional(),
  reason: z.string().min(1).optional(),
  forced: z.boolean().optional().describe('Closed with `--force`, with gates not met.'),
});

const OutsideRetirement = z.strictObject({ operation: z.string(), notes: z.string() });

export const RetirementManifestSchema = z.strictObject({
  $schema: z.string().optional(),
  plan: z.string().min(1).describe('The plan this manifest executes.'),
  notes: z.array(z.string()).describe('How the manifest maps the plan onto the gateway.'),
  outside_retirement: z
    .array(OutsideRetirement)
    .describe('Operations that no item retires, and why: every operation is either here or in exactly one item.'),
  items: z.array(Item).min(1).describe('The plan\u2019s "Final Removal PR Checklist", one entry per item.'),
});

export type RetirementManifest = z.output<typeof RetirementManifestSchema>;
export type ChecklistItem = RetirementManifest['items'][number];

/** A manifest that cannot be used; `problems` name the entry at fault, the message lists them all. */
export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(problems.map((p) => `${source}: ${p}`).join('\n'));
  }
}

/** Checks `value` (the parsed JSON) and answers the manifest, or throws ManifestError naming every problem. */
export function parseManifest(value: unknown, source: string = MANIFEST_PATH): RetirementManifest {
  const parsed = RetirementManifestSchema.safeParse(value);
  if (!parsed.success)
    throw new ManifestError(
      source,
      parsed.error.issues.map((i) => describeIssue(value, i)),
    );
  const problems = consistencyProblems(parsed.data);
  if (problems.length > 0) throw new ManifestError(source, problems);
  return parsed.data;
}

function describeIssue(value: unknown, issue: z.core.$ZodIssue): string {
  const [head, index, ...rest] = issue.path;
  if (head === 'items' && typeof index === 'number') {
    const items = (value as { items?: unknown[] }).items;
    const id = (items?.[index] as { id?: unknown } | undefined)?.id;
    const name = typeof id === 'string' ? `item '${id}'` : `items[${index}]`;
    return `${name}: ${rest.length > 0 ? `${rest.join('.')}: ` : ''}${issue.message}`;
  }
  return `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}

function consistencyProblems(manifest: RetirementManifest): string[] {
  const problems: string[] = [];
  const items = new Map<string, ChecklistItem>();
  for (const item of manifest.items) {
    if (items.has(item.id)) problems.push(`item '${item.id}' appears twice`);
    items.set(item.id, item);
  }

  const retiredBy = new Map<string, string>();
  for (const item of manifest.items) {
    const at = `item '${item.id}'`;
    if (item.deprecation && !item.sunset) problems.push(`${at}: deprecation ${item.deprecation} without a sunset date`);
    if (item.sunset && !item.deprecation) problems.push(`${at}: sunset ${item.sunset} without a deprecation date`);
    if (item.deprecation && item.sunset && item.sunset < item.deprecation) {
      problems.push(`${at}: sunset ${item.sunset} is before deprecation ${item.deprecation}`);
    }
    if (item.state === 'closed') {
      if (!item.closed_at) problems.push(`${at}: closed without closed_at`);
      if (!item.reason) problems.push(`${at}: closed without a reason`);
    } else {
      for (const field of ['closed_at', 'reason', 'forced'] as const) {
        if (item[field] !== undefined) problems.push(`${at}: open but has ${field}`);
      }
    }
    for (const prerequisite of item.prerequisites) {
      const other = items.get(prerequisite);
      if (prerequisite === item.id) problems.push(`${at}: lists itself as a prerequisite`);
      else if (!other) problems.push(`${at}: prerequisite '${prerequisite}' is not an item`);
      else if (item.state === 'closed' && other.state === 'open' && !item.forced) {
        problems.push(`${at}: closed while its prerequisite '${prerequisite}' is open (only a forced close may be)`);
      }
    }
    for (const { operation, successor } of item.operations) {
      if ((item.deprecation || item.state === 'closed') && !successor) {
        problems.push(
          `${at}: operation '${operation}' has no successor, but callers are told one from deprecation on (retire deprecate ${item.id} --successor URL)`,
        );
      }
      if (!isOperationId(operation)) {
        problems.push(`${at}: unknown operation '${operation}' (not in src/contract/operations.ts)`);
        continue;
      }
      const first = retiredBy.get(operation);
      if (first === item.id) problems.push(`${at}: lists operation '${operation}' twice`);
      else if (first) problems.push(`operation '${operation}' is retired by two items: '${first}' and '${item.id}'`);
      else retiredBy.set(operation, item.id);
    }
  }

  for (const { operation } of manifest.outside_retirement) {
    if (!isOperationId(operation)) problems.push(`outside_retirement: unknown operation '${operation}'`);
    else if (retiredBy.has(operation)) {
      problems.push(
        `operation '${operation}' is outside the retirement but item '${retiredBy.get(operation)}' retires it`,
      );
    }
  }
  const outside = new Set(manifest.outside_retirement.map((o) => o.operation));
  for (const id of OPERATION_IDS) {
    if (!retiredBy.has(id) && !outside.has(id)) {
      problems.push(`operation '${id}' is in no item and not in outside_retirement: decide where it goes`);
    }
  }

  const exceptions = manifest.items.filter((i) => i.exception);
  if (exceptions.length > 1)
    problems.push(`only one item may be the exception, not ${exceptions.map((i) => `'${i.id}'`).join(', ')}`);
  for (const exception of exceptions) {
    const missing = manifest.items.filter((i) => i !== exception && !exception.prerequisites.includes(i.id));
    if (missing.length > 0) {
      problems.push(
        `item '${exception.id}': the exception closes last, so it needs every other item as a prerequisite; missing ${missing.map((i) => `'${i.id}'`).join(', ')}`,
      );
    }
  }

  const cycle = findCycle(manifest.items, items);
  if (cycle) problems.push(`prerequisite cycle: ${cycle.join(' -> ')}`);
  return problems;
}

/** The first prerequisite cycle, as the ids along it ending where it started; undefined when there is none. */
function findCycle(list: readonly ChecklistItem[], items: ReadonlyMap<string, ChecklistItem>): string[] | undefined {
  const done = new Set<string>();
  const visit = (id: string, path: string[]): string[] | undefined => {
    const at = path.indexOf(id);
    if (at >= 0) return [...path.slice(at), id];
    if (done.has(id)) return undefined;
    for (const next of items.get(id)?.prerequisites ?? []) {
      if (!items.has(next)) continue;
      const found = visit(next, [...path, id]);
      if (found) return found;
    }
    done.add(id);
    return undefined;
  };
  for (const item of list) {
    const found = visit(item.id, []);
    if (found) return found;
  }
  return undefined;
}

export function itemById(manifest: RetirementManifest, id: string): ChecklistItem | undefined {
  return manifest.items.find((item) => item.id === id);
}

/** The JSON Schema of the manifest (routes/retirement.schema.json), for editors; the zod schema stays the judge. */
export function manifestJsonSchema(): unknown {
  return z.toJSONSchema(RetirementManifestSchema, { io: 'input', unrepresentable: 'any' });
}
