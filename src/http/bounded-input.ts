/**
 * The `input` a validation error echoes back, cut to a bounded size: the legacy echoes the offending
 * value whole (for a missing field, the whole body), which for a 4 MiB body would send 4 MiB back per
 * error. Strings longer than 1 KiB are cut to their first 1,024 characters followed by `…`; arrays keep
 * their first 32 items and objects their first 32 keys, followed by a `… N more` marker; below four
 * levels a container is replaced by a summary string; and one echo carries at most 256 values and 16 KiB
 * of string content in all. Numbers JSON cannot spell (NaN, Infinity) become strings.
 */

export const ECHO_LIMITS = { stringChars: 1024, items: 32, depth: 4, values: 256, totalChars: 16 * 1024 } as const;

interface Budget {
  values: number;
  chars: number;
}

function cutString(text: string, budget: Budget): string {
  const room = Math.min(ECHO_LIMITS.stringChars, budget.chars);
  if (text.length <= room) {
    budget.chars -= text.length;
    return text;
  }
  let end = room;
  // Never split a surrogate pair.
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  budget.chars -= end;
  return `${text.slice(0, end)}…`;
}

function summary(value: object): string {
  return Array.isArray(value) ? `[array of ${value.length} items]` : `{object with ${Object.keys(value).length} keys}`;
}

function bound(value: unknown, depth: number, budget: Budget): unknown {
  budget.values--;
  if (typeof value === 'string') return cutString(value, budget);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value === null || typeof value !== 'object') return value ?? null;
  if (depth >= ECHO_LIMITS.depth) return summary(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      if (out.length >= ECHO_LIMITS.items || budget.values <= 0) break;
      out.push(bound(item, depth + 1, budget));
    }
    if (out.length < value.length) out.push(`… ${value.length - out.length} more items`);
    return out;
  }
  const keys = Object.keys(value);
  const out: Record<string, unknown> = {};
  let kept = 0;
  for (const key of keys) {
    if (kept >= ECHO_LIMITS.items || budget.values <= 0) break;
    const shown = cutString(key, budget);
    Object.defineProperty(out, shown, {
      value: bound((value as Record<string, unknown>)[key], depth + 1, budget),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    kept++;
  }
  if (kept < keys.length) out['…'] = `${keys.length - kept} more keys`;
  return out;
}

/** `value` as a validation error may echo it. */
export function boundedInput(value: unknown): unknown {
  return bound(value, 0, { values: ECHO_LIMITS.values, chars: ECHO_LIMITS.totalChars });
}
