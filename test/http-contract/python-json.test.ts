import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseJsonText } from '../../src/http/json-body.js';
import { PyFloat, PyJsonError, type PyValue, pyLoads } from '../../src/python/json.js';
import { decodePythonJson, setOwn } from '../../src/python/json-scanner.js';

/**
 * The decoder against CPython's json.loads: 2,000 seeded random texts, mostly malformed, each with
 * what Python made of it (python-json/generate.py wrote them): the same value, or the same message at
 * the same character offset. Three ways in: the scanner alone, the native parser with the scanner
 * behind it, and pyLoads (the same scanner making Python's values, for what the legacy stored).
 */

type Tagged = null | boolean | ['n', number | string] | ['s', string] | ['a', Tagged[]] | ['o', [string, Tagged][]];
type Case = { text: string; value: Tagged } | { text: string; error: string; at: number };

const [header, ...lines] = readFileSync(new URL('./python-json/corpus.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n');
const cases = lines.map((line) => JSON.parse(line) as Case);

/** Python's value as JavaScript holds it (objects order integer-like keys first, as JSON.parse does). */
function untag(tagged: Tagged): unknown {
  if (tagged === null || typeof tagged === 'boolean') return tagged;
  const [kind, inner] = tagged;
  if (kind === 'n')
    return typeof inner === 'number' ? inner : { nan: Number.NaN, inf: Infinity, '-inf': -Infinity }[inner];
  if (kind === 's') return inner;
  if (kind === 'a') return (inner as Tagged[]).map(untag);
  const out: Record<string, unknown> = {};
  for (const [key, value] of inner as [string, Tagged][]) setOwn(out, key, untag(value));
  return out;
}

describe(`json.loads of CPython ${(JSON.parse(header!) as { python: string }).python}`, () => {
  test('has a corpus of refused and accepted texts', () => {
    expect(cases.length).toBe(2000);
    expect(cases.filter((c) => 'error' in c).length).toBeGreaterThan(1000);
  });

  test.each([
    ['the scanner', (text: string) => decodePythonJson(text, 1000)],
    ['the native parser, then the scanner', (text: string) => parseJsonText(text, 1000)],
  ])('%s answers every case as Python does', (_, decode) => {
    const wrong: string[] = [];
    for (const c of cases) {
      const got = decode(c.text);
      if ('error' in c) {
        const same = !got.ok && got.kind === 'syntax' && got.message === c.error && got.position === c.at;
        if (!same) wrong.push(`${JSON.stringify(c.text)}: Python ${c.error} at ${c.at}, got ${JSON.stringify(got)}`);
      } else {
        const expected = untag(c.value);
        const same =
          got.ok && Object.is(JSON.stringify(got.value), JSON.stringify(expected)) && sameNumbers(got.value, expected);
        if (!same)
          wrong.push(`${JSON.stringify(c.text)}: Python ${JSON.stringify(c.value)}, got ${JSON.stringify(got)}`);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  test("pyLoads answers every case as Python does, dict order and json.JSONDecodeError's text included", () => {
    const wrong: string[] = [];
    for (const c of cases) {
      let got: Tagged | string;
      try {
        got = tag(pyLoads(c.text));
      } catch (err) {
        if (!(err instanceof PyJsonError)) throw err;
        got = err.message;
      }
      const same =
        'error' in c
          ? typeof got === 'string' &&
            got.startsWith(`${c.error}: line `) &&
            new RegExp(` column \\d+ \\(char ${c.at}\\)$`).test(got)
          : JSON.stringify(got) === JSON.stringify(c.value);
      if (!same) wrong.push(`${JSON.stringify(c.text)}: Python ${JSON.stringify(c)}, got ${JSON.stringify(got)}`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
  });
});

/** A Python value in the corpus's tagged form (which writes every number as a float). */
function tag(value: PyValue): Tagged {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return ['s', value];
  if (Array.isArray(value)) return ['a', value.map(tag)];
  if (value instanceof Map) return ['o', [...value].map(([key, inner]): [string, Tagged] => [key, tag(inner)])];
  const n = value instanceof PyFloat ? value.value : Number(value);
  return ['n', Number.isNaN(n) ? 'nan' : n === Infinity ? 'inf' : n === -Infinity ? '-inf' : n];
}

/** JSON.stringify spells NaN and the infinities as null: compare those apart. */
function sameNumbers(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameNumbers(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    return ka.every((k) => sameNumbers((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return true;
}
