import type { OperationPair, OperationRef } from './document.js';
import type { JsonObject, Level, RuleSpec } from './types.js';

/**
 * What every check sees. `today` and `isRetired` exist for the lifecycle rules (deprecation, sunset,
 * retirement: see checks/lifecycle.ts); the structural checks ignore them.
 */
export interface DiffContext {
  base: JsonObject;
  head: JsonObject;
  /** `YYYY-MM-DD`, the date sunset rules compare against (`--today`, default: the current UTC date). */
  today: string;
  /** True when a closed retirement checklist item covers the operation (the routes/ manifest). */
  isRetired(method: string, path: string): boolean;
  removed: readonly OperationRef[];
  added: readonly OperationRef[];
  matched: readonly OperationPair[];
}

export interface Where {
  method: string;
  path: string;
}

export type Report = (ruleId: string, where: Where, message: string) => void;

/**
 * A check compares one aspect of the two documents and reports findings under the rule ids it declares.
 * The level of a finding comes from the declaration, so a rule's level is stated once and can be audited.
 */
export interface Check {
  name: string;
  rules: readonly RuleSpec[];
  run(ctx: DiffContext, report: Report): void;
}

export function rule(id: string, level: Level, description: string): RuleSpec {
  return { id, level, description };
}
