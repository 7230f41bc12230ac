import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { floatRepr, PythonError, parseFloatRange } from '../../src/python/builtins.js';
import { floatPow, infixFloat } from '../../src/qe/infix.js';

/**
 * ASE's infix_float as written (quadratic, recursive, replace-all), for floats only: the oracle the
 * gateway's one-pass evaluation must agree with. Complex values are left out of the alphabet (no `^`
 * with negative bases: no `-` before a bracket is generated as a base).
 */
function reference(text0: string): number {
  const evalNoBracket = (full0: string): number | null => {
    let full = full0;
    while (full.startsWith('(')) full = full.slice(1);
    while (full.endsWith(')')) full = full.slice(0, -1);
    const f = parseFloatRange(full);
    if (f !== undefined) return f;
    for (const op of ['+', '*', '/', '^']) {
      const at = full.indexOf(op);
      if (at < 0) continue;
      const a = evalNoBracket(full.slice(0, at));
      const b = evalNoBracket(full.slice(at + 1));
      const name = { '+': '+', '*': '*', '/': '/', '^': '** or pow()' }[op];
      if (a === null || b === null) {
        const t = (v: number | null) => (v === null ? 'NoneType' : 'float');
        throw new PythonError('TypeError', `unsupported operand type(s) for ${name}: '${t(a)}' and '${t(b)}'`);
      }
      if (op === '+') return a + b;
      if (op === '*') return a * b;
      if (op === '/') {
        if (b === 0) throw new PythonError('ZeroDivisionError', 'float division by zero');
        return a / b;
      }
      // Python's float pow on the values (pow's special cases: the gateway's own). Not through text:
      // ASE combines floats here, and a repr such as 3.8518598887744715e+77 would split again at its `+`.
      const p = floatPow(a, b);
      if (typeof p !== 'number') throw new Error(`complex power outside the oracle's alphabet: ${full}`);
      return p;
    }
    return null;
  };
  let text = text0;
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
    const v = evalNoBracket(middle);
    text = text.split(middle).join(v === null ? 'None' : floatRepr(v));
  }
  const v = evalNoBracket(text);
  if (v === null)
    throw new PythonError('TypeError', "float() argument must be a string or a real number, not 'NoneType'");
  return v;
}

const outcome = (f: () => number) => {
  try {
    return String(f());
  } catch (err) {
    if (err instanceof PythonError) return `${err.type}: ${err.text}`;
    throw err;
  }
};

describe('the one-pass infix_float agrees with ASE literal algorithm', () => {
  test('random expressions of digits, dots, exponents and + * / ^ ( )', () => {
    const token = fc
      .array(fc.constantFrom('1', '2', '0', '5', '.', 'e', '-', '+', '*', '/', '^', '(', ')', 'x'), {
        minLength: 1,
        maxLength: 14,
      })
      .map((chars) => chars.join(''))
      // Negative bases with fractional exponents go complex: the oracle covers floats only.
      .filter((t) => !/-[^^]*\^|\^[^+*/]*\./.test(t));
    fc.assert(
      fc.property(token, (t) => {
        expect(outcome(() => infixFloat(t))).toBe(outcome(() => reference(t)));
      }),
      // A pow whose right side is a pow with an `e+` repr: the oracle once re-read it as text.
      { numRuns: 5000, examples: [['1^5^111']] },
    );
  });
});
