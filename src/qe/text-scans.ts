/**
 * The legacy's own text scans of a pw.x input, beside ASE: whether it has an ATOMIC_POSITIONS line at
 * all, the fixed atoms, the species' pseudopotentials and the automatic k-point grid. Each is one pass
 * over the lines; the legacy's regular expressions are matched by hand, with Python's `re`
 * semantics (Unicode `\s`, `\d`, `\w`, IGNORECASE).
 */
import {
  isSpace,
  isWordChar,
  matchesIgnoringCase,
  PythonError,
  parseFloatRange,
  pyInt,
  split,
  splitlines,
  strip,
} from '../python/builtins.js';

/** `^\s*WORD\b` at the start of `line` (case-insensitive). */
function startsWithWord(line: string, word: string): boolean {
  let i = 0;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  return matchesIgnoringCase(line, i, word) && !isWordChar(line[i + word.length]);
}

/** `re.search(r"^\s*ATOMIC_POSITIONS\b", content, re.I | re.M)`: `^` after each `\n`. */
export function hasPositionsLine(content: string): boolean {
  return content.split('\n').some((line) => startsWithWord(line, 'ATOMIC_POSITIONS'));
}

const BLOCK_STARTS = ['CELL_PARAMETERS', 'K_POINTS', 'ATOMIC_SPECIES', 'CONSTRAINTS', 'OCCUPATIONS', '&', '/'];

/** The legacy's end of a card's lines: a blank line, or one starting (any case) with another card, `&` or `/`. */
function endsBlock(stripped: string): boolean {
  return stripped === '' || BLOCK_STARTS.some((start) => matchesIgnoringCase(stripped, 0, start));
}

/** The raw lines after the first line starting with `header`, up to the end of its block, `!` lines skipped. */
function blockAfter(lines: string[], header: string): string[] | null {
  const start = lines.findIndex((line) => startsWithWord(line, header));
  if (start < 0) return null;
  const block: string[] = [];
  for (const raw of lines.slice(start + 1)) {
    const stripped = strip(raw);
    if (endsBlock(stripped)) break;
    if (stripped.startsWith('!')) continue;
    block.push(raw);
  }
  return block;
}

const isZeroFlag = (token: string) => {
  const value = parseFloatRange(token);
  return value !== undefined && Math.abs(value) < 1e-12;
};

/**
 * The legacy's fixed atoms (not ASE's): each line of the ATOMIC_POSITIONS block with at least four
 * tokens (after cutting a `!` tail; `#` lines count too, `nat` is not looked at) is the next index;
 * it is fixed when tokens 5-7 exist and are all floats with |v| < 1e-12.
 */
export function fixedIndices(content: string): number[] {
  const block = blockAfter(splitlines(content), 'ATOMIC_POSITIONS');
  if (block === null) throw new PythonError('ValueError', 'ATOMIC_POSITIONS block not found in QE input.');
  const fixed: number[] = [];
  let index = 0;
  for (const raw of block) {
    const cut = raw.indexOf('!');
    const tokens = split(strip(cut < 0 ? raw : raw.slice(0, cut)));
    if (tokens.length < 4) continue;
    const flags = tokens.slice(4, 7);
    if (flags.length >= 3 && flags.every(isZeroFlag)) fixed.push(index);
    index++;
  }
  return fixed;
}

/**
 * The legacy's species map: in the ATOMIC_SPECIES block (which an ATOMIC_POSITIONS line does not
 * end), token 1 -> token 3 of each line with three or more tokens; later lines overwrite.
 */
export function atomicSpecies(content: string): Map<string, string> {
  const species = new Map<string, string>();
  for (const raw of blockAfter(splitlines(content), 'ATOMIC_SPECIES') ?? []) {
    const tokens = split(strip(raw));
    if (tokens.length >= 3) species.set(tokens[0]!, tokens[2]!);
  }
  return species;
}

const isDigitOrHyphen = (ch: string | undefined) => ch !== undefined && (ch === '-' || /\p{Nd}/u.test(ch));

/**
 * The legacy's k-point grid: the first `K_POINTS\s*\(\s*automatic\s*\)\s*\n\s*` followed by six
 * `[-\d]+` runs separated by whitespace (anywhere, any case), read with Python int(); the first three.
 * null when there is no such text. int() refusing a run (`1-2`) raises its ValueError, as the legacy's.
 */
export function automaticKpoints(content: string): [string, string, string] | null {
  const n = content.length;
  const skipSpace = (i: number) => {
    let j = i;
    while (j < n && isSpace(content.charCodeAt(j))) j++;
    return j;
  };
  // Walks by code point so that \d sees astral digits whole.
  const run = (i: number) => {
    let j = i;
    for (;;) {
      const cp = content.codePointAt(j);
      if (cp === undefined) break;
      const ch = String.fromCodePoint(cp);
      if (!isDigitOrHyphen(ch)) break;
      j += ch.length;
    }
    return j;
  };
  const attempt = (start: number): string[] | null => {
    let i = skipSpace(start + 'K_POINTS'.length);
    if (content[i] !== '(') return null;
    i = skipSpace(i + 1);
    if (!matchesIgnoringCase(content, i, 'AUTOMATIC')) return null;
    i = skipSpace(i + 'AUTOMATIC'.length);
    if (content[i] !== ')') return null;
    const spaceStart = i + 1;
    i = skipSpace(spaceStart);
    if (!content.slice(spaceStart, i).includes('\n')) return null;
    const groups: string[] = [];
    for (let g = 0; g < 6; g++) {
      if (g > 0) {
        const after = skipSpace(i);
        if (after === i) return null;
        i = after;
      }
      const end = run(i);
      if (end === i) return null;
      groups.push(content.slice(i, end));
      i = end;
    }
    return groups;
  };
  for (let start = 0; start + 8 <= n; start++) {
    const first = content.charCodeAt(start);
    if (first !== 0x4b && first !== 0x6b && first !== 0x212a) continue;
    if (!matchesIgnoringCase(content, start, 'K_POINTS')) continue;
    const groups = attempt(start);
    if (groups) {
      const ints = groups.map(pyInt);
      return [ints[0]!, ints[1]!, ints[2]!];
    }
  }
  return null;
}
