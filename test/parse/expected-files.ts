import { readFileSync } from 'node:fs';

const DIR = new URL('../../../shared/samples/', import.meta.url);

export const SAMPLES = [
  'Al001_m4_relax_fromscratch',
  'Si001_m8_relax_fromscratch',
  'WO3_200_6L_on9W_H2O_slab8A_scf_k331',
  'h2_zpe',
] as const;

export const sampleInput = (name: string) => readFileSync(new URL(`qe-in/${name}.in`, DIR), 'utf8');
export const sampleAnswer = (name: string) => readFileSync(new URL(`parse-expected/${name}.json`, DIR), 'utf8').trim();

/** A JSON value whose numbers keep the spelling of the text they were read from. */
type Lossless = null | boolean | string | { number: string } | Lossless[] | { entries: [string, Lossless][] };

/** Reads JSON text keeping each number's lexeme and each object's key order. */
function readLossless(text: string): Lossless {
  let i = 0;
  const space = () => {
    while (/\s/.test(text[i] ?? '')) i++;
  };
  const value = (): Lossless => {
    space();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const entries: [string, Lossless][] = [];
      space();
      if (text[i] === '}') {
        i++;
        return { entries };
      }
      for (;;) {
        space();
        const key = value() as string;
        space();
        i++; // :
        entries.push([key, value()]);
        space();
        if (text[i++] === '}') return { entries };
      }
    }
    if (ch === '[') {
      i++;
      const items: Lossless[] = [];
      space();
      if (text[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value());
        space();
        if (text[i++] === ']') return items;
      }
    }
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1)) as string;
      i = j + 1;
      return s;
    }
    for (const [word, v] of [
      ['null', null],
      ['true', true],
      ['false', false],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const start = i;
    while (/[-+.eE0-9]/.test(text[i] ?? '')) i++;
    return { number: text.slice(start, i) };
  };
  return value();
}

function compact(v: Lossless): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(compact).join(',')}]`;
  if ('number' in v) return v.number;
  return `{${v.entries.map(([k, item]) => `${JSON.stringify(k)}:${compact(item)}`).join(',')}}`;
}

export interface ExpectedCase {
  name: string;
  description: string;
  request: { content?: unknown; structure_id?: string; [key: string]: unknown };
  status: number;
  body: unknown;
  /** The body as the legacy sends it: compact, numbers spelled as in the file (Python's spelling). */
  bytes: string;
}

/** The cases of variants.json or refused.json, each with its body's exact compact text. */
export function expectedCases(file: 'variants.json' | 'refused.json'): ExpectedCase[] {
  const text = readFileSync(new URL(`parse-expected/${file}`, DIR), 'utf8');
  const lossless = readLossless(text) as { entries: [string, Lossless][] };
  const cases = lossless.entries.find(([k]) => k === 'cases')![1] as { entries: [string, Lossless][] }[];
  const parsed = (JSON.parse(text) as { cases: Omit<ExpectedCase, 'bytes'>[] }).cases;
  return parsed.map((c, i) => ({ ...c, bytes: compact(cases[i]!.entries.find(([k]) => k === 'body')![1]) }));
}
