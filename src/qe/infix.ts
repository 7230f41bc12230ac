import { floatRepr, PythonError, parseFloatRange } from '../python/builtins.js';

/**
 * ASE's `infix_float`, which reads an ATOMIC_POSITIONS coordinate: a float, or an expression of
 * `+ * / ^` and round brackets (no `-` operator: `-` only as a sign or exponent sign).
 *
 * ASE evaluates the innermost bracket, replaces its text by the value's `str()` and starts again;
 * without brackets it takes the text as a float, else splits at the first `+`, else `*`, `/`, `^`
 * (right-associative: `1/2/4` is 2) and combines the two sides, `None` for text it cannot read.
 * Here the same results in one pass: brackets on a stack, each split level folded from the right,
 * a float attempted only on text that can be one. Only a token with unbalanced brackets is
 * evaluated ASE's literal way (replace-all), and only while it has at most MAX_LITERAL_BRACKETS
 * brackets; past that it is refused as unreadable (ASE would take quadratic time; see the header of
 * espresso-in.ts).
 */

interface Complex {
  re: number;
  im: number;
}
type Value = number | Complex | null;

const MAX_LITERAL_BRACKETS = 64;
/**
 * Brackets beyond which a token is refused as unreadable: ASE's loop rescans the whole token per
 * bracket (quadratic), so the legacy never answers such a token in useful time.
 */
const MAX_BRACKETS = 10_000;
/**
 * ASE recurses once per operator along a split chain; CPython's default limit of 1000 frames, less
 * the legacy's own frames below infix_float (about 50, not exactly knowable), stops it there.
 */
const MAX_DEPTH = 950;
const OPS = ['+', '*', '/', '^'] as const;
type Op = (typeof OPS)[number];

const typeName = (v: Value) => (v === null ? 'NoneType' : typeof v === 'number' ? 'float' : 'complex');

const isComplex = (v: Value): v is Complex => v !== null && typeof v === 'object';
const asComplex = (v: number | Complex): Complex => (typeof v === 'number' ? { re: v, im: 0 } : v);

function overflow(): PythonError {
  return new PythonError('OverflowError', "(34, 'Numerical result out of range')");
}

const isOddInteger = (x: number) => Number.isInteger(x) && Math.abs(x % 2) === 1;

/** Python 3.11's float ** float. */
export function floatPow(iv: number, iw: number): number | Complex {
  if (iw === 0) return 1;
  if (Number.isNaN(iv)) return Number.NaN;
  if (Number.isNaN(iw)) return iv === 1 ? 1 : Number.NaN;
  if (!Number.isFinite(iw)) {
    const a = Math.abs(iv);
    if (a === 1) return 1;
    return iw > 0 === a > 1 ? Math.abs(iw) : 0;
  }
  if (!Number.isFinite(iv)) {
    const odd = isOddInteger(iw);
    if (iw > 0) return odd ? iv : Math.abs(iv);
    return odd ? (Object.is(Math.sign(iv), -1) ? -0 : 0) : 0;
  }
  if (iv === 0) {
    if (iw < 0) throw new PythonError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
    return isOddInteger(iw) ? iv : 0;
  }
  let negate = false;
  let base = iv;
  if (base < 0) {
    if (iw !== Math.floor(iw)) return complexPow({ re: iv, im: 0 }, { re: iw, im: 0 });
    base = -base;
    negate = isOddInteger(iw);
  }
  if (base === 1) return negate ? -1 : 1;
  const ix = base ** iw;
  if (!Number.isFinite(ix)) throw overflow();
  return negate ? -ix : ix;
}

/** Python's complex power (polar form; the digits matter only for a value's text, see above). */
function complexPow(a: Complex, b: Complex): Complex {
  if (b.re === 0 && b.im === 0) return { re: 1, im: 0 };
  if (a.re === 0 && a.im === 0) {
    if (b.im !== 0 || b.re < 0) throw new PythonError('ZeroDivisionError', '0.0 to a negative or complex power');
    return { re: 0, im: 0 };
  }
  const vabs = Math.hypot(a.re, a.im);
  let len = vabs ** b.re;
  const at = Math.atan2(a.im, a.re);
  let phase = at * b.re;
  if (b.im !== 0) {
    len /= Math.exp(at * b.im);
    phase += b.im * Math.log(vabs);
  }
  const r = { re: len * Math.cos(phase), im: len * Math.sin(phase) };
  if (!Number.isFinite(r.re) || !Number.isFinite(r.im))
    throw new PythonError('OverflowError', 'complex exponentiation');
  return r;
}

const OP_TEXT: Record<Op, string> = { '+': '+', '*': '*', '/': '/', '^': '** or pow()' };

function combine(op: Op, a: Value, b: Value): Value {
  if (a === null || b === null) {
    throw new PythonError(
      'TypeError',
      `unsupported operand type(s) for ${OP_TEXT[op]}: '${typeName(a)}' and '${typeName(b)}'`,
    );
  }
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '+':
        return a + b;
      case '*':
        return a * b;
      case '/':
        if (b === 0) throw new PythonError('ZeroDivisionError', 'float division by zero');
        return a / b;
      case '^':
        return floatPow(a, b);
    }
  }
  const x = asComplex(a as number | Complex);
  const y = asComplex(b as number | Complex);
  switch (op) {
    case '+':
      return { re: x.re + y.re, im: x.im + y.im };
    case '*':
      return { re: x.re * y.re - x.im * y.im, im: x.re * y.im + x.im * y.re };
    case '/': {
      if (y.re === 0 && y.im === 0) throw new PythonError('ZeroDivisionError', 'complex division by zero');
      const d = y.re * y.re + y.im * y.im;
      return { re: (x.re * y.re + x.im * y.im) / d, im: (x.im * y.re - x.re * y.im) / d };
    }
    case '^':
      return complexPow(x, y);
  }
}

/** `str(value)` as ASE's f-string writes it back into the text. */
function valueText(v: Value): string {
  if (v === null) return 'None';
  if (typeof v === 'number') return floatRepr(v);
  const im = `${floatRepr(v.im, false)}j`;
  if (v.re === 0 && !Object.is(v.re, -0)) return im;
  const sign = v.im >= 0 || Number.isNaN(v.im) ? '+' : '';
  return `(${floatRepr(v.re, false)}${sign}${im})`;
}

/** ASE's `eval_no_bracket_expr` on a text, linear: see the file header. */
function evalText(text: string): Value {
  const n = text.length;
  let operators = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b || c === 0x2a || c === 0x2f || c === 0x5e) operators++;
  }
  if (operators === 0) {
    // Nothing to split: the text (brackets stripped at its ends) is a float or nothing.
    let lo = 0;
    let hi = n;
    while (lo < hi && text[lo] === '(') lo++;
    while (hi > lo && text[hi - 1] === ')') hi--;
    return parseFloatRange(text, lo, hi) ?? null;
  }
  // Prefix counts of `+` and of the other three together (all a float attempt needs), and for each
  // operator present the next position of it at or after i.
  const plus = new Int32Array(n + 1);
  const others = new Int32Array(n + 1);
  const present = new Set<Op>();
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    plus[i + 1] = plus[i]! + (c === 0x2b ? 1 : 0);
    others[i + 1] = others[i]! + (c === 0x2a || c === 0x2f || c === 0x5e ? 1 : 0);
    if (c === 0x2b) present.add('+');
    else if (c === 0x2a) present.add('*');
    else if (c === 0x2f) present.add('/');
    else if (c === 0x5e) present.add('^');
  }
  const next = new Map<Op, Int32Array>();
  for (const op of OPS) {
    if (!present.has(op)) continue;
    const nexts = new Int32Array(n + 1);
    const code = op.charCodeAt(0);
    nexts[n] = n;
    for (let i = n - 1; i >= 0; i--) nexts[i] = text.charCodeAt(i) === code ? i : nexts[i + 1]!;
    next.set(op, nexts);
  }
  const nextOf = (op: Op, i: number) => next.get(op)?.[i] ?? n;
  const mayBeFloat = (lo: number, hi: number) => others[hi]! - others[lo]! === 0 && plus[hi]! - plus[lo]! <= 2;

  const evalRange = (lo0: number, hi0: number, depth: number): Value => {
    if (depth > MAX_DEPTH) throw new PythonError('RecursionError', 'maximum recursion depth exceeded');
    let lo = lo0;
    let hi = hi0;
    while (lo < hi && text[lo] === '(') lo++;
    while (hi > lo && text[hi - 1] === ')') hi--;
    if (mayBeFloat(lo, hi)) {
      const v = parseFloatRange(text, lo, hi);
      if (v !== undefined) return v;
    }
    let op: Op | undefined;
    for (const o of OPS) {
      if (nextOf(o, lo) < hi) {
        op = o;
        break;
      }
    }
    if (op === undefined) return null;
    // text = seg0 op seg1 op ... segk: Python evaluates each left side, then the rest, and combines from the right.
    const values: Value[] = [];
    let cur = lo;
    let level = depth;
    for (;;) {
      const at = nextOf(op, cur);
      values.push(evalRange(cur, at, level + 1));
      let rest = at + 1;
      while (rest < hi && text[rest] === '(') rest++;
      if (mayBeFloat(rest, hi)) {
        const v = parseFloatRange(text, rest, hi);
        if (v !== undefined) {
          values.push(v);
          break;
        }
      }
      level++;
      if (nextOf(op, rest) >= hi) {
        values.push(evalRange(rest, hi, level));
        break;
      }
      if (level > MAX_DEPTH) throw new PythonError('RecursionError', 'maximum recursion depth exceeded');
      cur = rest;
    }
    let acc: Value = values[values.length - 1]!;
    for (let i = values.length - 2; i >= 0; i--) acc = combine(op, values[i] ?? null, acc);
    return acc;
  };
  return evalRange(0, n, 1);
}

/** Python's `float(value)` at the end of infix_float. */
function toFloat(v: Value): number {
  if (v === null)
    throw new PythonError('TypeError', "float() argument must be a string or a real number, not 'NoneType'");
  if (isComplex(v))
    throw new PythonError('TypeError', "float() argument must be a string or a real number, not 'complex'");
  return v;
}

/** Brackets that ASE's loop resolves innermost-first without ever meeting a stray `)` or an unclosed `(`. */
function balanced(text: string): boolean {
  let depth = 0;
  let strayClose = false;
  for (const ch of text) {
    if (ch === '(') {
      if (strayClose) return false;
      depth++;
    } else if (ch === ')') {
      if (depth === 0) strayClose = true;
      else depth--;
    }
  }
  return depth === 0;
}

/** A group's value as the text that replaces it; a complex value's text is itself a group, read again at once. */
function groupText(middle: string): string {
  const text = valueText(evalText(middle));
  return text.includes('(') ? valueText(evalText(text)) : text;
}

function literal(text0: string): number {
  let text = text0;
  let brackets = 0;
  for (const ch of text) if (ch === '(' || ch === ')') brackets++;
  if (brackets > MAX_LITERAL_BRACKETS) return toFloat(null);
  while (text.includes('(')) {
    let start = 0;
    let end = text.length;
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '(') start = i;
      if (text[i] === ')') {
        end = i + 1;
        break;
      }
    }
    const middle = text.slice(start, end);
    const replacement = valueText(evalText(middle));
    text = text.split(middle).join(replacement);
  }
  return toFloat(evalText(text));
}

/** ASE's infix_float(text): the float, or the PythonError it raises. */
export function infixFloat(text: string): number {
  if (!text.includes('(')) return toFloat(evalText(text));
  let brackets = 0;
  for (let i = 0; i < text.length; i++) if (text[i] === '(' || text[i] === ')') brackets++;
  if (brackets > MAX_BRACKETS) return toFloat(null);
  if (!balanced(text)) return literal(text);
  // One list of pieces; each open group remembers where its content starts in it.
  const pieces: string[] = [];
  const open: number[] = [];
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x28 && c !== 0x29) continue;
    if (i > run) pieces.push(text.slice(run, i));
    run = i + 1;
    if (c === 0x28) open.push(pieces.length);
    else if (open.length > 0) {
      const content = pieces.splice(open.pop()!).join('');
      pieces.push(groupText(`(${content})`));
    } else pieces.push(')');
  }
  if (run < text.length) pieces.push(text.slice(run));
  return toFloat(evalText(pieces.join('')));
}
