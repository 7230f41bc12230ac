import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseFortranNumber, parseQeInput, QeInputError } from '../../src/qe/input.js';

const sample = (name: string) => readFileSync(new URL(`./samples/${name}`, import.meta.url), 'utf8');
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('the real inputs', () => {
  test('Al(001): 32 atoms, the first 16 fixed', () => {
    const input = parseQeInput(sample('Al001_m4_relax_fromscratch.in'));
    expect(input.nat).toBe(32);
    expect(input.atoms).toHaveLength(32);
    expect(input.fixedIndices).toEqual(range(0, 16));
    expect(input.atoms[16]).toEqual({ symbol: 'Al', x: 0.05577072, y: -0.1899957, z: 11.75, ifPos: [1, 1, 1] });
  });

  test('Si(001): 32 atoms, eight fixed in the middle layers', () => {
    const input = parseQeInput(sample('Si001_m8_relax_fromscratch.in'));
    expect(input.nat).toBe(32);
    expect(input.fixedIndices).toEqual([3, 4, 11, 12, 19, 20, 27, 28]);
  });

  test('WO3 slab: lower-case namelists, bare unit, atoms without if_pos, lines beyond nat ignored', () => {
    const input = parseQeInput(sample('WO3_200_6L_on9W_H2O_slab8A_scf_k331.in'));
    expect(input.nat).toBe(67);
    expect(input.atoms).toHaveLength(67);
    expect(input.atoms[0]).toEqual({ symbol: 'O', x: 0, y: 0, z: 0, ifPos: null });
    // Atom lines 50..67 carry `0 0 0`; the 32 lines after the 67th are not atoms for pw.x.
    expect(input.fixedIndices).toEqual(range(49, 67));
  });
});

describe('the format', () => {
  const input = (system: string, positions: string) => `&CONTROL\n/\n&SYSTEM\n${system}\n/\n${positions}\n`;

  test('namelist names and keys in any case; nat with a comma, on a line with other assignments', () => {
    expect(parseQeInput(input('  IBRAV=0, NAT=2, ntyp=1', 'atomic_positions\nH 0 0 0\nH 1 1 1')).nat).toBe(2);
    expect(parseQeInput(`&system\n nat = 1\n/\nATOMIC_POSITIONS\nH 0 0 0`).nat).toBe(1);
  });

  test('units in parentheses, braces, bare, or none', () => {
    for (const header of [
      'ATOMIC_POSITIONS (crystal)',
      'ATOMIC_POSITIONS {bohr}',
      'ATOMIC_POSITIONS alat',
      'ATOMIC_POSITIONS',
      'ATOMIC_POSITIONS crystal_sg',
    ]) {
      expect(parseQeInput(input('nat = 1', `${header}\nH 0 0 0`)).atoms).toHaveLength(1);
    }
    expect(() => parseQeInput(input('nat = 1', 'ATOMIC_POSITIONS (furlong)\nH 0 0 0'))).toThrow(/unit/);
  });

  test('comments with ! and #, also after values; quoted strings keep their ! and #', () => {
    const parsed = parseQeInput(
      `! a header comment\n&control\n  title = 'run #1 !', outdir = "./a!b"\n/\n&system ! the system\n  nat = 2 # two atoms\n/\n` +
        `# a card comment\nATOMIC_POSITIONS (angstrom) ! unit\n  H 0 0 0 0 0 0 ! fixed\n\n  # between atoms\n  H 1 1 1 # free\n`,
    );
    expect(parsed.nat).toBe(2);
    expect(parsed.fixedIndices).toEqual([0]);
    expect(parsed.atoms[1]!.ifPos).toBeNull();
  });

  test('Fortran numbers: d exponents, trailing dots, leading dots', () => {
    expect(parseFortranNumber('1.0d-7')).toBe(1e-7);
    expect(parseFortranNumber('1D3')).toBe(1000);
    expect(parseFortranNumber('90.')).toBe(90);
    expect(parseFortranNumber('.5')).toBe(0.5);
    expect(parseFortranNumber('-8.64000e+06')).toBe(-8.64e6);
    expect(parseFortranNumber('1.2.3')).toBeUndefined();
    const parsed = parseQeInput(input('nat = 2', 'ATOMIC_POSITIONS\nH 1.5d0 -2.D-1 .25 1 0 1\nH 0 0 0'));
    expect(parsed.atoms[0]).toEqual({ symbol: 'H', x: 1.5, y: -0.2, z: 0.25, ifPos: [1, 0, 1] });
    expect(parsed.fixedIndices).toEqual([]);
  });

  test('an atom is fixed only when all three flags are 0', () => {
    const parsed = parseQeInput(input('nat = 3', 'ATOMIC_POSITIONS\nH 0 0 0 0 0 1\nH 0 0 0 0 0 0\nH 0 0 0 1 1 1'));
    expect(parsed.fixedIndices).toEqual([1]);
  });

  test('CRLF line ends', () => {
    expect(parseQeInput('&system\r\n nat = 1\r\n/\r\nATOMIC_POSITIONS\r\nH 0 0 0 0 0 0\r\n').fixedIndices).toEqual([0]);
  });

  test.each([
    ['no &system', '&control\n/\nATOMIC_POSITIONS\nH 0 0 0', /no &system/],
    ['no nat', input('ntyp = 1', 'ATOMIC_POSITIONS\nH 0 0 0'), /nat not found/],
    ['nat not a whole number', input('nat = 2.5', 'ATOMIC_POSITIONS\nH 0 0 0'), /positive whole number/],
    ['nat zero', input('nat = 0', 'ATOMIC_POSITIONS\nH 0 0 0'), /positive whole number/],
    ['an open namelist', '&system\n nat = 1\nATOMIC_POSITIONS\nH 0 0 0', /not closed/],
    ['no ATOMIC_POSITIONS', input('nat = 1', 'K_POINTS gamma'), /no ATOMIC_POSITIONS/],
    ['fewer atoms than nat', input('nat = 3', 'ATOMIC_POSITIONS\nH 0 0 0\nH 1 1 1\nK_POINTS gamma'), /lists 2 atoms/],
    ['a coordinate that is no number', input('nat = 1', 'ATOMIC_POSITIONS\nH 0 x 0'), /line 7: 'x' is not a number/],
    ['if_pos other than 0/1', input('nat = 1', 'ATOMIC_POSITIONS\nH 0 0 0 2 0 0'), /if_pos flags are 0 or 1/],
    ['two flags only', input('nat = 1', 'ATOMIC_POSITIONS\nH 0 0 0 1 1'), /got 6 fields/],
    ['no label', input('nat = 1', 'ATOMIC_POSITIONS\n1.0 0 0 0'), /not an atom label/],
    ['empty input', '', /no &system/],
  ])('refused: %s', (_, content, message) => {
    expect(() => parseQeInput(content)).toThrow(QeInputError);
    expect(() => parseQeInput(content)).toThrow(message);
  });
});
