import { describe, expect, test } from 'vitest';
import { floatRepr } from '../../src/python/builtins.js';
import { fromJs, PyFloat, PyJsonError, pyDumps, pyLoads } from '../../src/python/json.js';

/**
 * The legacy's JSON, checked against what CPython 3.11 prints (each expectation below was produced
 * by running Python on the same input): repr of floats, json.dumps bytes, json.loads error texts.
 */

describe("Python's float repr", () => {
  const cases: [number, string][] = [
    [0.0284, '0.0284'],
    [50, '50.0'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [1.2345678901234568e17, '1.2345678901234568e+17'],
    [-0, '-0.0'],
    [1e22, '1e+22'],
    [298.15, '298.15'],
    [1.5e-7, '1.5e-07'],
    [2.5e300, '2.5e+300'],
    [5e-324, '5e-324'],
    [0.1 + 0.2, '0.30000000000000004'],
    [100, '100.0'],
    [-1234.5, '-1234.5'],
  ];
  test.each(cases)('%s → %s', (value, python) => expect(floatRepr(value)).toBe(python));
});

describe('json.dumps and json.loads', () => {
  test('default json.dumps: separators, ASCII escapes (astral as surrogate pairs), ints and floats apart', () => {
    const value = new Map<string, ReturnType<typeof pyLoads>>([
      ['a', 'é/\u007f\u2603\u{1F525}"\\\n\u0001'],
      ['n', [1, new PyFloat(1), new PyFloat(-0), new PyFloat(1e-5), 12345678901234567890n]],
      ['x', null],
      ['t', true],
    ]);
    expect(pyDumps(value)).toBe(
      '{"a": "\\u00e9/\\u007f\\u2603\\ud83d\\udd25\\"\\\\\\n\\u0001", "n": [1, 1.0, -0.0, 1e-05, 12345678901234567890], "x": null, "t": true}',
    );
  });

  test('loads keeps a dict: a repeated key keeps its first place and its last value; 1E5 is a float, -0 an int', () => {
    expect(pyDumps(pyLoads('{"b":1,"10":2,"b":3, "f": 1E5, "g": -0}'))).toBe(
      '{"b": 3, "10": 2, "f": 100000.0, "g": 0}',
    );
  });

  test('FastAPI answers: compact and UTF-8 as is', () => {
    expect(pyDumps(pyLoads('{"a": "é", "b": [1.0, 2]}'), { compact: true })).toBe('{"a":"é","b":[1.0,2]}');
  });

  test('a value parsed by JavaScript: floats where the model says float', () => {
    const parsed = { low_cut_cm: 50, cache_checked: 2, freqs_cm: [1, 2.5], other: 3 };
    expect(pyDumps(fromJs(parsed, new Set(['low_cut_cm', 'freqs_cm'])))).toBe(
      '{"low_cut_cm": 50.0, "cache_checked": 2, "freqs_cm": [1.0, 2.5], "other": 3}',
    );
  });

  const errors: [string, string][] = [
    ['', 'Expecting value: line 1 column 1 (char 0)'],
    ['nope', 'Expecting value: line 1 column 1 (char 0)'],
    ['{"a":1,}', 'Expecting property name enclosed in double quotes: line 1 column 8 (char 7)'],
    ['[1,2', "Expecting ',' delimiter: line 1 column 5 (char 4)"],
    ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
    ['{"a":1 "b":2}', "Expecting ',' delimiter: line 1 column 8 (char 7)"],
    ['"abc', 'Unterminated string starting at: line 1 column 1 (char 0)'],
    ['"a\\x"', 'Invalid \\escape: line 1 column 3 (char 2)'],
    ['"\\u12"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
    ['{1:2}', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
    ['[1] x', 'Extra data: line 1 column 5 (char 4)'],
    ['"a\nb"', 'Invalid control character at: line 1 column 3 (char 2)'],
    ['\n\n  {"é":tru}', 'Expecting value: line 3 column 8 (char 9)'],
    ['01', 'Extra data: line 1 column 2 (char 1)'],
    ['"🔥"\n x', 'Extra data: line 2 column 2 (char 5)'],
    ['["🔥",\n\n 1 2]', "Expecting ',' delimiter: line 3 column 4 (char 10)"],
    ['"\\u1234', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
    ['"\\ud800\\udc00', 'Invalid \\uXXXX escape: line 1 column 9 (char 8)'],
  ];
  test.each(errors)('json.loads(%j) raises %s', (text, message) => {
    expect(() => pyLoads(text)).toThrow(PyJsonError);
    expect(() => pyLoads(text)).toThrow(message);
  });

  test('an escaped surrogate pair is one character', () => {
    expect(pyLoads('"\\ud83d\\ude00"')).toBe('\u{1F600}');
  });

  test('containers nest 1001 deep; the 1002nd is refused at its bracket, a nesting bomb without a stack overflow', () => {
    const nested = (n: number, inner = '') => `${'['.repeat(n)}${inner}${']'.repeat(n)}`;
    expect(pyDumps(pyLoads(nested(1001)))).toBe(nested(1001));
    expect(() => pyLoads(nested(1002))).toThrow('Expecting value: line 1 column 1002 (char 1001)');
    expect(() => pyLoads(`${'{"a":'.repeat(1002)}1${'}'.repeat(1002)}`)).toThrow(
      'Expecting value: line 1 column 5006 (char 5005)',
    );
    expect(() => pyLoads('['.repeat(1_000_000))).toThrow('Expecting value: line 1 column 1002 (char 1001)');
  });
});
