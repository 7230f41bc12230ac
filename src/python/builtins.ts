/**
 * The few Python built-ins whose exact behaviour the legacy's answers depend on: `str.strip`,
 * `str.split`, `str.splitlines`, `float()`, `int()`, `repr()` of floats and strings, and the
 * exception texts they raise. Every function here is a single pass over its input (no regular
 * expression that can backtrack), so the reader built on them stays linear.
 */

/** A Python exception, carried with the text `str(exc)` gives (which the legacy puts in its message). */
export class PythonError extends Error {
  constructor(
    readonly type: string,
    readonly text: string,
  ) {
    super(text);
    this.name = 'PythonError';
  }
}

/** `str.isspace()` for one code unit (Python's whitespace also covers \x1c-\x1f and \x85). */
export function isSpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x1c && code <= 0x20) ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** `str.strip()` without arguments. */
export function strip(s: string): string {
  let lo = 0;
  let hi = s.length;
  while (lo < hi && isSpace(s.charCodeAt(lo))) lo++;
  while (hi > lo && isSpace(s.charCodeAt(hi - 1))) hi--;
  return lo === 0 && hi === s.length ? s : s.slice(lo, hi);
}

/** `str.strip(chars)`. */
export function stripChars(s: string, chars: string): string {
  let lo = 0;
  let hi = s.length;
  while (lo < hi && chars.includes(s[lo]!)) lo++;
  while (hi > lo && chars.includes(s[hi - 1]!)) hi--;
  return s.slice(lo, hi);
}

/** `str.split()` without arguments: runs of whitespace separate, no empty fields. */
export function split(s: string): string[] {
  const fields: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (isSpace(s.charCodeAt(i))) {
      if (start >= 0) fields.push(s.slice(start, i));
      start = -1;
    } else if (start < 0) {
      start = i;
    }
  }
  if (start >= 0) fields.push(s.slice(start));
  return fields;
}

/** `str.splitlines()`: \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, \u2028, \u2029 end a line; no empty last line. */
export function splitlines(s: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const breaks =
      c === 0x0a ||
      c === 0x0d ||
      c === 0x0b ||
      c === 0x0c ||
      c === 0x1c ||
      c === 0x1d ||
      c === 0x1e ||
      c === 0x85 ||
      c === 0x2028 ||
      c === 0x2029;
    if (!breaks) continue;
    lines.push(s.slice(start, i));
    if (c === 0x0d && s.charCodeAt(i + 1) === 0x0a) i++;
    start = i + 1;
  }
  if (start < s.length) lines.push(s.slice(start));
  return lines;
}

const WORD = /[\p{L}\p{N}_]/u;

/** A character of Python's `\w` (Unicode patterns). */
export function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && WORD.test(ch);
}

/**
 * Whether `text` at `pos` spells the upper-case ASCII `word` under Python's `re.IGNORECASE`, which
 * also lets 'ı' and 'İ' match i, 'ſ' match s, and the Kelvin sign match k.
 */
export function matchesIgnoringCase(text: string, pos: number, word: string): boolean {
  if (pos + word.length > text.length) return false;
  for (let i = 0; i < word.length; i++) {
    const want = word[i]!;
    const got = text[pos + i]!;
    if (got === want) continue;
    if (want < 'A' || want > 'Z') return false;
    if (got === want.toLowerCase()) continue;
    if (want === 'I' && (got === '\u0130' || got === '\u0131')) continue;
    if (want === 'S' && got === '\u017f') continue;
    if (want === 'K' && got === '\u212a') continue;
    return false;
  }
  return true;
}

const DECIMAL_DIGIT = /\p{Nd}/u;

/** The value 0-9 of a Unicode decimal digit (Python converts them all), or -1. */
function digitValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c < 0x80) return -1;
  const cp = text.codePointAt(i)!;
  const ch = String.fromCodePoint(cp);
  if (!DECIMAL_DIGIT.test(ch)) return -1;
  // Unicode decimal digits come in runs of ten from a zero, runs sometimes adjacent.
  let start = cp;
  while (start > 0 && DECIMAL_DIGIT.test(String.fromCodePoint(start - 1)) && cp - start < 60) start--;
  return (cp - start) % 10;
}

/** Width in code units of the character at i. */
function width(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
}

const isAsciiDigit = (c: number) => c >= 0x30 && c <= 0x39;

/**
 * Python's `float(str)` on text[lo, hi): the value, or undefined when Python raises ValueError. One
 * pass: sign, `inf`/`infinity`/`nan`, or digits with single underscores between digits, a fraction,
 * an exponent; surrounding whitespace and any Unicode decimal digits allowed.
 */
export function parseFloatRange(text: string, lo0 = 0, hi0 = text.length): number | undefined {
  let lo = lo0;
  let hi = hi0;
  while (lo < hi && isSpace(text.charCodeAt(lo))) lo++;
  while (hi > lo && isSpace(text.charCodeAt(hi - 1))) hi--;
  if (lo >= hi) return undefined;
  let i = lo;
  const first = text.charCodeAt(i);
  if (first === 0x2b || first === 0x2d) i++;
  if (hi - i <= 8 && hi - i >= 3) {
    const word = text.slice(i, hi).toLowerCase();
    if (word === 'inf' || word === 'infinity') return first === 0x2d ? -Infinity : Infinity;
    if (word === 'nan') return Number.NaN;
  }
  // Grammar: digits ['.' digits] [e [sign] digits], digits = digit (['_'] digit)*, at least one digit
  // before the exponent. `plain` stays true while the text is what JS's Number() reads the same way.
  let plain = true;
  let mantissa = 0;
  let part = 0; // 0 integer, 1 fraction, 2 exponent
  let inPart = 0;
  while (i < hi) {
    const c = text.charCodeAt(i);
    if (isAsciiDigit(c)) {
      inPart++;
      if (part < 2) mantissa++;
      i++;
    } else if (c === 0x5f) {
      if (inPart === 0 || i + 1 >= hi || digitValue(text, i + 1) < 0) return undefined;
      plain = false;
      i++;
    } else if (c === 0x2e && part === 0) {
      part = 1;
      inPart = 0;
      i++;
    } else if ((c === 0x65 || c === 0x45) && part < 2 && mantissa > 0) {
      part = 2;
      inPart = 0;
      i++;
      if (i < hi && (text.charCodeAt(i) === 0x2b || text.charCodeAt(i) === 0x2d)) i++;
      if (i >= hi) return undefined;
    } else if (c >= 0x80 && digitValue(text, i) >= 0) {
      plain = false;
      inPart++;
      if (part < 2) mantissa++;
      i += width(text, i);
    } else return undefined;
  }
  if (mantissa === 0 || (part === 2 && inPart === 0)) return undefined;
  if (plain) return Number(text.slice(lo, hi));
  // Underscores or non-ASCII digits: the ASCII text Python hands to its strtod.
  let out = '';
  for (let j = lo; j < hi; j += width(text, j)) {
    const c = text.charCodeAt(j);
    if (c === 0x5f) continue;
    out += c >= 0x80 ? String(digitValue(text, j)) : text[j];
  }
  return Number(out);
}

/** Python's `float(str)`, raising its ValueError. */
export function pyFloat(s: string): number {
  const value = parseFloatRange(s);
  if (value === undefined) throw new PythonError('ValueError', `could not convert string to float: ${pyRepr(s)}`);
  return value;
}

const MAX_INT_DIGITS = 4300;

/**
 * Python's `int(str)` (base 10): the canonical decimal text of the value (Python integers have no
 * size limit), or a PythonError with its ValueError text.
 */
export function pyInt(s: string): string {
  let lo = 0;
  let hi = s.length;
  while (lo < hi && isSpace(s.charCodeAt(lo))) lo++;
  while (hi > lo && isSpace(s.charCodeAt(hi - 1))) hi--;
  let i = lo;
  let sign = '';
  if (s[i] === '+' || s[i] === '-') sign = s[i++] === '-' ? '-' : '';
  let digits = '';
  let ok = i < hi;
  while (ok && i < hi) {
    const d = digitValue(s, i);
    if (d >= 0) {
      digits += String(d);
      i += width(s, i);
    } else if (s[i] === '_' && digits !== '' && i + 1 < hi && digitValue(s, i + 1) >= 0) {
      i++;
    } else {
      ok = false;
    }
  }
  if (!ok || digits === '') {
    throw new PythonError('ValueError', `invalid literal for int() with base 10: ${pyRepr(s).slice(0, 200)}`);
  }
  if (digits.length > MAX_INT_DIGITS) {
    throw new PythonError(
      'ValueError',
      `Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion: value has ${digits.length} digits; use sys.set_int_max_str_digits() to increase the limit`,
    );
  }
  const canonical = digits.replace(/^0+(?=\d)/, '');
  return canonical === '0' ? '0' : sign + canonical;
}

/** `repr(float)` (and so `str(float)`, `json.dumps` of a float): shortest round trip, Python's layout. */
export function floatRepr(x: number, addDotZero = true): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? (addDotZero ? '-0.0' : '-0') : addDotZero ? '0.0' : '0';
  const magnitude = Math.abs(x);
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    // Both languages write these in fixed notation with the same shortest digits.
    const fixed = String(x);
    return fixed.includes('.') || !addDotZero ? fixed : `${fixed}.0`;
  }
  const [mantissa, exp] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const e = Number(exp);
  const sign = x < 0 ? '-' : '';
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ee = Math.abs(e) < 10 ? `0${Math.abs(e)}` : String(Math.abs(e));
    return `${sign}${m}e${e < 0 ? '-' : '+'}${ee}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
  if (digits.length <= e + 1) return `${sign}${digits}${'0'.repeat(e + 1 - digits.length)}${addDotZero ? '.0' : ''}`;
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** `repr(str)`: Python's choice of quotes and escapes. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NOT_PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0)!;
      const hex = cp.toString(16);
      out +=
        cp < 0x100
          ? `\\x${hex.padStart(2, '0')}`
          : cp < 0x10000
            ? `\\u${hex.padStart(4, '0')}`
            : `\\U${hex.padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

/** `str(KeyError(key))`: the repr of the key. */
export function keyError(key: string): PythonError {
  return new PythonError('KeyError', pyRepr(key));
}
