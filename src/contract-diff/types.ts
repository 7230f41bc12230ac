import type { JsonValue } from '../contract/document.js';

export type { JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** oasdiff's levels: ERR is a breaking change, WARN a possibly breaking one, INFO a compatible one. */
export type Level = 'ERR' | 'WARN' | 'INFO';

export const LEVELS: readonly Level[] = ['ERR', 'WARN', 'INFO'];

export interface RuleSpec {
  id: string;
  level: Level;
  description: string;
}

export interface Finding {
  id: string;
  level: Level;
  /** Upper-case HTTP method, e.g. `POST`. */
  method: string;
  /** The path as the head document spells it (the base's when the operation is gone). */
  path: string;
  message: string;
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
