import { floatRepr, PythonError, parseFloatRange } from './python.js';

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
function floatPow(iv: number, iw: number): number | Complex {
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
  // Prefix counts of each operator, and the next position of each at or after i.
  const count: Record<Op, Int32Array> = {
    '+': new Int32Array(n + 1),
    '*': new Int32Array(n + 1),
    '/': new Int32Array(n + 1),
    '^': new Int32Array(n + 1),
  };
  for (let i = 0; i < n; i++) {
    for (const op of OPS) count[op][i + 1] = count[op][i]! + (text[i] === op ? 1 : 0);
  }
  const next: Record<Op, Int32Array> = {
    '+': new Int32Array(n + 1),
    '*': new Int32Array(n + 1),
    '/': new Int32Array(n + 1),
    '^': new Int32Array(n + 1),
  };
  for (const op of OPS) {
    next[op][n] = n;
    for (let i = n - 1; i >= 0; i--) next[op][i] = text[i] === op ? i : next[op][i + 1]!;
  }
  const within = (op: Op, lo: number, hi: number) => count[op][hi]! - count[op][lo]!;
  const mayBeFloat = (lo: number, hi: number) =>
    within('*', lo, hi) === 0 && within('/', lo, hi) === 0 && within('^', lo, hi) === 0 && within('+', lo, hi) <= 2;

  const evalRange = (lo0: number, hi0: number): Value => {
    let lo = lo0;
    let hi = hi0;
    while (lo < hi && text[lo] === '(') lo++;
    while (hi > lo && text[hi - 1] === ')') hi--;
    if (mayBeFloat(lo, hi)) {
      const v = parseFloatRange(text, lo, hi);
      if (v !== undefined) return v;
    }
    const op = OPS.find((o) => next[o][lo]! < hi);
    if (op === undefined) return null;
    // text = seg0 op seg1 op ... segk: Python evaluates each left side, then the rest, and combines from the right.
    const values: Value[] = [];
    let cur = lo;
    for (;;) {
      const at = next[op][cur]!;
      values.push(evalRange(cur, at));
      let rest = at + 1;
      while (rest < hi && text[rest] === '(') rest++;
      if (mayBeFloat(rest, hi)) {
        const v = parseFloatRange(text, rest, hi);
        if (v !== undefined) {
          values.push(v);
          break;
        }
      }
      if (next[op][rest]! >= hi) {
        values.push(evalRange(rest, hi));
        break;
      }
      cur = rest;
    }
    let acc: Value = values[values.length - 1]!;
    for (let i = values.length - 2; i >= 0; i--) acc = combine(op, values[i] ?? null, acc);
    return acc;
  };
  return evalRange(0, n);
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
  if (!balanced(text)) return literal(text);
  const stack: string[][] = [[]];
  for (const ch of text) {
    if (ch === '(') stack.push([]);
    else if (ch === ')' && stack.length > 1) {
      const content = stack.pop()!.join('');
      stack[stack.length - 1]!.push(groupText(`(${content})`));
    } else stack[stack.length - 1]!.push(ch);
  }
  return toFloat(evalText(stack[0]!.join('')));
}
