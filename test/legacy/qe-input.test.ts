import { describe, expect, test } from 'vitest';
import { ApiError } from '../../src/http/errors.js';
import {
  floatRepr,
  PythonError,
  parseFloatRange,
  pyInt,
  pyRepr,
  split,
  splitlines,
} from '../../src/python/builtins.js';
import { BOHR } from '../../src/qe/espresso-in.js';
import { infixFloat } from '../../src/qe/infix.js';
import { readQeInput } from '../../src/qe/input.js';
import { atomicSpecies, automaticKpoints, fixedIndices } from '../../src/qe/text-scans.js';
import { sampleInput } from '../parse/expected-files.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const refusal = (content: string) => {
  try {
    readQeInput(content);
  } catch (err) {
    if (err instanceof ApiError) return err.message;
    throw err;
  }
  throw new Error('not refused');
};
const pythonError = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof PythonError) return `${err.type}: ${err.text}`;
    throw err;
  }
  throw new Error('no error');
};

/** A valid input around one ATOMIC_POSITIONS card (one H atom unless `nat` says more). */
const input = (positions: string, system = 'ibrav = 0, nat = 1, ntyp = 1') =>
  `&system\n  ${system}\n/\nATOMIC_SPECIES\nH 1.008 H.upf\nCELL_PARAMETERS angstrom\n5 0 0\n0 5 0\n0 0 5\nATOMIC_POSITIONS ${positions}\n`;

describe('the real inputs', () => {
  test('Al(001): 32 atoms, the first 16 fixed, the cell in Å', () => {
    const al = readQeInput(sampleInput('Al001_m4_relax_fromscratch'));
    expect(al.atoms).toHaveLength(32);
    expect(al.fixedIndices).toEqual(range(0, 16));
    expect(al.atoms[16]).toEqual({ symbol: 'Al', position: [0.05577072, -0.1899957, 11.75] });
    expect(al.lattice).toEqual([
      [8.1, 0, 0],
      [0, 8.1, 0],
      [0, 0, 21.075],
    ]);
  });

  test('Si(001): eight fixed in the middle layers', () => {
    expect(readQeInput(sampleInput('Si001_m8_relax_fromscratch')).fixedIndices).toEqual([3, 4, 11, 12, 19, 20, 27, 28]);
  });

  test('the WO3 slab is refused as the legacy refuses it: ibrav = 14', () => {
    expect(refusal(sampleInput('WO3_200_6L_on9W_H2O_slab8A_scf_k331'))).toMatch(
      /^QE \.in のパースに失敗しました: ASE does not support ibrav != 0\. Note that/,
    );
  });
});

describe('Python semantics the answers depend on', () => {
  test.each([
    [0, '0.0'],
    [-0, '-0.0'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e16, '1e+16'],
    [123456789012345.6, '123456789012345.6'],
    [0.39159113418162056, '0.39159113418162056'],
    [2.5e-320, '2.5e-320'],
    [Infinity, 'inf'],
  ])('repr(%d) = %s', (value, text) => {
    expect(floatRepr(value)).toBe(text);
  });

  test.each([
    ['1.5', 1.5],
    [' -2 ', -2],
    ['1_000.5', 1000.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e-3', 0.001],
    ['InFinity', Infinity],
    ['١٢', 12],
    ['1__0', undefined],
    ['_1', undefined],
    ['1e', undefined],
    ['.', undefined],
    ['0.74d0', undefined],
    ['0x10', undefined],
  ])('float(%j)', (text, value) => {
    expect(parseFloatRange(text)).toBe(value);
  });

  test('int(), splitting and repr as Python does them', () => {
    expect(pyInt(' 007 ')).toBe('7');
    expect(pyInt('-0')).toBe('0');
    expect(pythonError(() => pyInt('1.0'))).toBe("ValueError: invalid literal for int() with base 10: '1.0'");
    expect(split(' a\x1cb\u3000c ')).toEqual(['a', 'b', 'c']);
    expect(splitlines('a\r\nb\rc\x0bd\n')).toEqual(['a', 'b', 'c', 'd']);
    expect(pyRepr("it's")).toBe('"it\'s"');
    expect(pyRepr('a\tb\u0001')).toBe("'a\\tb\\x01'");
  });

  test('Bohr is ASE CODATA 2006 as computed', () => {
    expect(BOHR).toBe(0.5291772083535413);
  });
});

describe('infix_float', () => {
  test.each([
    ['1/2', 0.5],
    ['1/2/4', 2],
    ['2*-1', -2],
    ['1+2*3', 7],
    ['2^3^2', 512],
    ['(1+2)*3', 9],
    ['((1))', 1],
    ['1/2*3^(-1/2)', 0.28867513459481287],
    ['1e+5', 100000],
    ['1.0)', 1],
  ])('%s = %d', (text, value) => {
    expect(infixFloat(text)).toBe(value);
  });

  test.each([
    ['0.74d0', "TypeError: float() argument must be a string or a real number, not 'NoneType'"],
    ['1-2', "TypeError: float() argument must be a string or a real number, not 'NoneType'"],
    ['1+x', "TypeError: unsupported operand type(s) for +: 'float' and 'NoneType'"],
    ['x^2', "TypeError: unsupported operand type(s) for ** or pow(): 'NoneType' and 'float'"],
    ['1/0', 'ZeroDivisionError: float division by zero'],
    ['10^400', "OverflowError: (34, 'Numerical result out of range')"],
    ['(-8)^0.5', "TypeError: float() argument must be a string or a real number, not 'complex'"],
    ['(2(1/2))', 'no error: 20.5'],
    [`${'1+'.repeat(2000)}1`, 'RecursionError: maximum recursion depth exceeded'],
  ])('%s: %s', (text, error) => {
    if (error.startsWith('no error')) expect(String(infixFloat(text))).toBe(error.slice('no error: '.length));
    else expect(pythonError(() => infixFloat(text))).toBe(error);
  });

  test('unbalanced brackets follow ASE replace-all rewriting', () => {
    // ASE replaces every `1/2)` by 0.5, including the tail of `(31/2)`, leaving `(30.5`.
    expect(infixFloat('1/2)+(31/2)')).toBe(31);
  });
});

describe('the format as ASE reads it', () => {
  test('namelists: any case, several per line, last assignment wins, quotes keep ! and /', () => {
    const content = `&CONTROL\n title = 'a/b!c', x = 1\n/\n&SYSTEM\n IBRAV = 0, NAT = 3\n nat = 1 ! the count\n ntyp=1\n/\nATOMIC_SPECIES\nH 1 H.upf\nATOMIC_POSITIONS angstrom\nH 0 0 0\n`;
    expect(readQeInput(content).atoms).toHaveLength(1);
  });

  test('units: bohr and alat scale, crystal multiplies the cell, angstrom is as written', () => {
    expect(readQeInput(input('bohr\nH 0 0 2')).atoms[0]!.position).toEqual([0, 0, 2 * BOHR]);
    expect(readQeInput(input('crystal\nH 0 0 0.5')).atoms[0]!.position).toEqual([0, 0, 2.5]);
    expect(readQeInput(input('{angstrom}\nH 1 2 3')).atoms[0]!.position).toEqual([1, 2, 3]);
  });

  test.each([
    ['no &system', 'ATOMIC_POSITIONS\nH 0 0 0', "'Required section &SYSTEM not found.'"],
    ['ibrav missing', input('angstrom\nH 0 0 0', 'nat = 1, ntyp = 1'), "'ibrav is required in &SYSTEM'"],
    ['ibrav quoted', input('angstrom\nH 0 0 0', "ibrav = '0', nat = 1, ntyp = 1"), 'ASE does not support ibrav'],
    [
      'nat as a float',
      input('angstrom\nH 0 0 0', 'ibrav = 0, nat = 1.5, ntyp = 1'),
      "'float' object cannot be interpreted as an integer",
    ],
    [
      'a second positions card',
      `${input('angstrom\nH 0 0 0')}ATOMIC_POSITIONS angstrom\nH 0 0 0\n`,
      'Multiple ATOMIC_POSITIONS specified',
    ],
    ['a label that is no element', input('angstrom\n1H 0 0 0'), "'Could not parse species from label 1H.'"],
    ['an undeclared element', input('angstrom\nO 0 0 0'), "'O'"],
    [
      'a quote before =',
      input('angstrom\nH 0 0 0', "ibrav = 0, nat = 1, ntyp = 1\n 'x' = 1"),
      "'NoneType' object has no attribute 'append'",
    ],
    ['a short cell row', input('angstrom\nH 0 0 0').replace('0 5 0', '0 5'), 'inhomogeneous shape after 1 dimensions'],
    [
      'a species weight that is no number',
      input('angstrom\nH 0 0 0').replace('H 1.008', 'H heavy'),
      "could not convert string to float: 'heavy'",
    ],
  ])('refused: %s', (_, content, message) => {
    expect(refusal(content)).toContain(message);
  });
});

describe('the legacy text scans', () => {
  test('fixed atoms counted over the block lines, ! lines skipped, # lines counted', () => {
    const content =
      'ATOMIC_POSITIONS\nH 0 0 0 0 0 0\n! comment\n# a b c\nH 0 0 0 0.0 -0 0e3 ! fixed\nH 0 0 0 0 0 1\n\nH 0 0 0 0 0 0\n';
    expect(fixedIndices(content)).toEqual([0, 2]);
  });

  test('species: token 1 -> token 3, up to the next card; a positions header does not end it', () => {
    expect([...atomicSpecies('atomic_species\nH 1 H.upf\nO 16\nCELL_PARAMETERS\nX 1 x')]).toEqual([['H', 'H.upf']]);
    expect([...atomicSpecies('ATOMIC_SPECIES\nH 1 H.upf\nATOMIC_POSITIONS\nH 0.0 0.0 0.0')]).toEqual([['H', '0.0']]);
  });

  test.each([
    ['K_POINTS (automatic)\n 3 3 1 0 0 0', ['3', '3', '1']],
    ['xk_points ( AUTOMATIC )  \n\t2 2 1\n1 1 0', ['2', '2', '1']],
    ['K_POINTS automatic\n3 3 1 0 0 0', null],
    ['K_POINTS {automatic}\n3 3 1 0 0 0', null],
    ['K_POINTS (automatic) 3 3 1 0 0 0', null],
    ['K_POINTS (automatic)\n3 3 1 0 0', null],
  ])('k-points in %j', (content, grid) => {
    expect(automaticKpoints(content)).toEqual(grid);
  });

  test('a k-point run int() refuses raises its ValueError', () => {
    expect(pythonError(() => automaticKpoints('K_POINTS (automatic)\n1-2 1 1 0 0 0'))).toBe(
      "ValueError: invalid literal for int() with base 10: '1-2'",
    );
  });
});
