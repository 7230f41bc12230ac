/**
 * ASE's `read(format="espresso-in")` (ASE >= 3.23, as the legacy runs it), reproduced so that the
 * gateway accepts and refuses pw.x inputs exactly as the legacy does, with the same `str(exc)` texts.
 *
 * What of the pw.x format it reads:
 * - Lines split at `\n` only (ASE iterates a StringIO), each stripped of surrounding whitespace.
 * - Namelists: a line starting `&name` opens one (name lower-cased; a repeated name is ignored);
 *   `key = value` pairs split at `,` or line ends; `!` ends the line and `/` the namelist, both only
 *   outside single quotes ('...'; double quotes are not quotes: `"./"` ends the namelist at its `/`).
 *   Keys are case-insensitive (the last assignment wins). Values: Python int, float, Fortran double
 *   (`1d-7`), `.true.`/`.t.`/`true`/`t` (and false), else the text without its single quotes.
 * - &SYSTEM is required, with `ibrav` (only 0 is accepted: ASE refuses the others), `ntyp` and `nat`;
 *   `celldm(1)` (Bohr) sets alat; `A` is not read. `starting_magnetization(i)` must be numeric.
 * - Every other non-blank line not starting with `!` or `#` is a card line. A card counts only when
 *   the line starts with its upper-case name: CELL_PARAMETERS, ATOMIC_SPECIES, ATOMIC_POSITIONS
 *   (once each). The unit is found as a substring of the lower-cased header line, comments included.
 * - CELL_PARAMETERS: `bohr`, `angstrom` (both refused with celldm(1)), `alat` (needs celldm(1), or
 *   `alat= v` in the header), none: Bohr, or alat with celldm(1). Then the next three card lines, the
 *   first three numbers of each (Fortran `d` exponents allowed). Without the card there is no cell.
 * - ATOMIC_SPECIES: the next `ntyp` card lines `label mass pseudo`.
 * - ATOMIC_POSITIONS: `crystal_sg` refused; `crystal` (times the cell; refused without one), `bohr`,
 *   `angstrom`, else alat (needs celldm(1)). Then exactly the next `nat` card lines (so a missing atom
 *   line reads the next card as an atom): `label x y z [if_x if_y if_z]`, coordinates through
 *   infix_float (float or `+ * / ^` expression, infix.ts), the if_pos flags through Python int().
 * - Labels map to elements by their first two letters when those name one, else the first letter
 *   (`Xx` -> the dummy `X`); every atom's element must have been declared in ATOMIC_SPECIES.
 * - Bohr is ASE's CODATA 2006 value computed from the constants (0.5291772083535413 Å).
 * Out of scope, as in ASE: ibrav != 0, K_POINTS (read by the text scans instead), all other cards.
 * Deliberately not reproduced: quad-precision `q` exponents are read as doubles; a coordinate with
 * unbalanced brackets and more than 64 brackets is refused as unreadable rather than evaluated in
 * quadratic time.
 */

import {
  keyError,
  PythonError,
  parseFloatRange,
  pyFloat,
  pyInt,
  split,
  strip,
  stripChars,
} from '../python/builtins.js';
import { infixFloat } from './infix.js';

type NamelistValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'str'; value: string };

type Namelist = Map<string, NamelistValue>;

export interface EspressoAtom {
  symbol: string;
  position: [number, number, number];
}

export interface EspressoStructure {
  atoms: EspressoAtom[];
  /** The cell rows in Å, or null when the input has no CELL_PARAMETERS (ASE's zero cell). */
  cell: number[][] | null;
}

const create = (kind: string, text: string) => new PythonError(kind, text);
const valueError = (text: string) => create('ValueError', text);
const typeError = (text: string) => create('TypeError', text);
const stopIteration = () => create('RuntimeError', 'generator raised StopIteration');
const indexError = () => create('IndexError', 'list index out of range');

const pi = Math.PI;
const MU0 = 4e-7 * pi;
const EPS0 = 1 / MU0 / 299792458.0 ** 2;
const HBAR = 6.62606896e-34 / (2 * pi);
/** ASE's units['Bohr'] for CODATA 2006, computed as ASE computes it. */
export const BOHR = (4e10 * pi * EPS0 * HBAR ** 2) / 9.10938215e-31 / 1.602176487e-19 ** 2;

const IBRAV_MESSAGE =
  'ASE does not support ibrav != 0. Note that with ibrav == 0, Quantum ESPRESSO will still detect the symmetries of your system because the CELL_PARAMETERS are defined to a high level of precision.';

// biome-ignore format: one element per column is unreadable
const CHEMICAL_SYMBOLS = new Set(['X', 'H', 'He', 'Li', 'Be', 'B', 'C', 'N', 'O', 'F', 'Ne', 'Na', 'Mg', 'Al', 'Si', 'P', 'S', 'Cl', 'Ar', 'K', 'Ca', 'Sc', 'Ti', 'V', 'Cr', 'Mn', 'Fe', 'Co', 'Ni', 'Cu', 'Zn', 'Ga', 'Ge', 'As', 'Se', 'Br', 'Kr', 'Rb', 'Sr', 'Y', 'Zr', 'Nb', 'Mo', 'Tc', 'Ru', 'Rh', 'Pd', 'Ag', 'Cd', 'In', 'Sn', 'Sb', 'Te', 'I', 'Xe', 'Cs', 'Ba', 'La', 'Ce', 'Pr', 'Nd', 'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy', 'Ho', 'Er', 'Tm', 'Yb', 'Lu', 'Hf', 'Ta', 'W', 'Re', 'Os', 'Ir', 'Pt', 'Au', 'Hg', 'Tl', 'Pb', 'Bi', 'Po', 'At', 'Rn', 'Fr', 'Ra', 'Ac', 'Th', 'Pa', 'U', 'Np', 'Pu', 'Am', 'Cm', 'Bk', 'Cf', 'Es', 'Fm', 'Md', 'No', 'Lr', 'Rf', 'Db', 'Sg', 'Bh', 'Hs', 'Mt', 'Ds', 'Rg', 'Cn', 'Nh', 'Fl', 'Mc', 'Lv', 'Ts', 'Og']);

/** ASE's str_to_value. */
function toValue(text: string): NamelistValue {
  try {
    return { kind: 'int', value: Number(pyInt(text)) };
  } catch {}
  const plain = parseFloatRange(text);
  if (plain !== undefined) return { kind: 'float', value: plain };
  const lowered = text.toLowerCase();
  const fortran = parseFloatRange(lowered.includes('q') ? lowered.replaceAll('q', 'e') : lowered.replaceAll('d', 'e'));
  if (fortran !== undefined) return { kind: 'float', value: fortran };
  if (['.true.', '.t.', 'true', 't'].includes(lowered)) return { kind: 'bool', value: true };
  if (['.false.', '.f.', 'false', 'f'].includes(lowered)) return { kind: 'bool', value: false };
  return { kind: 'str', value: stripChars(text, "'") };
}

/** ASE's read_fortran_namelist: the namelists (case-insensitive keys) and the card lines. */
function readNamelists(content: string): { namelists: Map<string, Namelist>; cards: string[] } {
  const raw = new Map<string, Map<string, NamelistValue>>();
  const cards: string[] = [];
  let inNamelist = false;
  let section = 'none';
  for (const rawLine of content.split('\n')) {
    const line = strip(rawLine);
    if (line.startsWith('&')) {
      section = (split(line)[0] ?? '&').slice(1).toLowerCase();
      if (raw.has(section)) section = '_ignored';
      raw.set(section, new Map());
      inNamelist = true;
    }
    if (!inNamelist && line !== '' && line[0] !== '!' && line[0] !== '#') cards.push(line);
    if (!inNamelist) continue;
    const target = raw.get(section)!;
    let key = '';
    let value: string | null = null;
    let inQuotes = false;
    for (const ch of line) {
      if (ch === ',' && value !== null && !inQuotes) {
        target.set(strip(key), toValue(strip(value)));
        key = '';
        value = null;
      } else if (ch === '=' && value === null && !inQuotes) {
        value = '';
      } else if (ch === "'") {
        inQuotes = !inQuotes;
        if (value === null) throw create('AttributeError', "'NoneType' object has no attribute 'append'");
        value += "'";
      } else if (ch === '!' && !inQuotes) {
        break;
      } else if (ch === '/' && !inQuotes) {
        inNamelist = false;
        break;
      } else if (value !== null) {
        value += ch;
      } else {
        key += ch;
      }
    }
    if (value !== null) target.set(strip(key), toValue(strip(value)));
  }
  // ASE's Namelist lower-cases every key on the way in, in insertion order.
  const namelists = new Map<string, Namelist>();
  for (const [name, entries] of raw) {
    const lowered: Namelist = new Map();
    for (const [k, v] of entries) lowered.set(k.toLowerCase(), v);
    namelists.set(name.toLowerCase(), lowered);
  }
  return { namelists, cards };
}

/** Python's range(n) for a namelist value: its length, or the TypeError. */
function rangeLength(value: NamelistValue): number {
  if (value.kind === 'int') return Math.max(0, value.value);
  if (value.kind === 'bool') return value.value ? 1 : 0;
  throw typeError(`'${value.kind === 'float' ? 'float' : 'str'}' object cannot be interpreted as an integer`);
}

function numeric(value: NamelistValue): number | undefined {
  if (value.kind === 'str') return undefined;
  if (value.kind === 'bool') return value.value ? 1 : 0;
  return value.value;
}

/** A generator over the card lines, shared by a card's header loop and the lines it consumes. */
class Lines {
  private i = 0;
  constructor(private readonly lines: string[]) {}
  next(): string | undefined {
    return this.i < this.lines.length ? this.lines[this.i++] : undefined;
  }
  take(): string {
    const line = this.next();
    if (line === undefined) throw stopIteration();
    return line;
  }
}

const at = (fields: string[], i: number): string => {
  const field = fields[i];
  if (field === undefined) throw indexError();
  return field;
};

/** ASE's ffloat: Fortran `d` (and `q`) exponents. */
function fortranFloat(text: string): number {
  const lowered = text.toLowerCase();
  return pyFloat(lowered.includes('q') ? lowered.replaceAll('q', 'e') : lowered.replaceAll('d', 'e'));
}

function readCell(cards: string[], alat: number | null): number[][] | null {
  let cell: number[][] | null = null;
  const lines = new Lines(cards);
  for (let line = lines.next(); line !== undefined; line = lines.next()) {
    if (!strip(line).startsWith('CELL_PARAMETERS')) continue;
    if (cell !== null) throw valueError('CELL_PARAMETERS specified multiple times');
    const lowered = line.toLowerCase();
    let units: number;
    if (lowered.includes('bohr')) {
      if (alat !== null) throw valueError('Lattice parameters given in &SYSTEM celldm/A and CELL_PARAMETERS bohr');
      units = BOHR;
    } else if (lowered.includes('angstrom')) {
      if (alat !== null) throw valueError('Lattice parameters given in &SYSTEM celldm/A and CELL_PARAMETERS angstrom');
      units = 1.0;
    } else if (lowered.includes('alat')) {
      if (line.includes('=')) {
        const fields = split(stripChars(line, ') \n'));
        units = pyFloat(fields[fields.length - 1]!) * BOHR;
      } else if (alat === null) {
        throw valueError('Lattice parameters must be set in &SYSTEM for alat units');
      } else units = alat;
    } else units = alat ?? BOHR;
    const rows = [0, 1, 2].map(() => split(lines.take()).slice(0, 3).map(fortranFloat));
    if (rows.some((row) => row.length !== rows[0]!.length)) {
      throw valueError(
        'setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was (3,) + inhomogeneous part.',
      );
    }
    cell = rows.map((row) => row.map((v) => v * units));
  }
  return cell;
}

function readSpecies(cards: string[], ntyp: NamelistValue): [string, number, string][] | null {
  let species: [string, number, string][] | null = null;
  const lines = new Lines(cards);
  for (let line = lines.next(); line !== undefined; line = lines.next()) {
    if (!line.startsWith('ATOMIC_SPECIES')) continue;
    if (species !== null) throw valueError('Multiple ATOMIC_SPECIES specified');
    species = [];
    const count = rangeLength(ntyp);
    for (let n = 0; n < count; n++) {
      const fields = split(lines.take());
      const label = at(fields, 0);
      const mass = pyFloat(at(fields, 1));
      species.push([label, mass, at(fields, 2)]);
    }
  }
  return species;
}

type Matrix = number[][] | null;

function diagonal(scale: number): number[][] {
  return [
    [scale, 0, 0],
    [0, scale, 0],
    [0, 0, scale],
  ];
}

/** numpy's dot of a 3-vector with a 3xL matrix, summed in order. */
function dot(v: [number, number, number], m: Matrix): number[] {
  if (m === null) throw typeError("unsupported operand type(s) for *: 'float' and 'NoneType'");
  const width = m[0]!.length;
  return Array.from({ length: width }, (_, j) => v[0] * m[0]![j]! + v[1] * m[1]![j]! + v[2] * m[2]![j]!);
}

function readPositions(cards: string[], nat: NamelistValue, cell: Matrix, alat: number | null) {
  let positions: { label: string; position: number[] }[] | null = null;
  const lines = new Lines(cards);
  for (let line = lines.next(); line !== undefined; line = lines.next()) {
    if (!strip(line).startsWith('ATOMIC_POSITIONS')) continue;
    if (positions !== null) throw valueError('Multiple ATOMIC_POSITIONS specified');
    const lowered = line.toLowerCase();
    let basis: Matrix;
    if (lowered.includes('crystal_sg')) throw create('NotImplementedError', 'CRYSTAL_SG not implemented');
    else if (lowered.includes('crystal')) basis = cell;
    else if (lowered.includes('bohr')) basis = diagonal(BOHR);
    else if (lowered.includes('angstrom')) basis = diagonal(1);
    else {
      if (alat === null) throw valueError('Set lattice parameter in &SYSTEM for alat coordinates');
      basis = diagonal(alat);
    }
    positions = [];
    const count = rangeLength(nat);
    for (let n = 0; n < count; n++) {
      const fields = split(lines.take());
      const x = infixFloat(at(fields, 1));
      const y = infixFloat(at(fields, 2));
      const z = infixFloat(at(fields, 3));
      const position = dot([x, y, z], basis);
      if (fields.length > 4) for (const i of [4, 5, 6]) pyInt(at(fields, i));
      positions.push({ label: fields[0]!, position });
    }
  }
  return positions;
}

/** ASE's label_to_symbol. */
function labelToSymbol(label: string): string {
  const chars = Array.from(label);
  if (chars.length >= 2) {
    const two = chars[0]!.toUpperCase() + chars[1]!.toLowerCase();
    if (CHEMICAL_SYMBOLS.has(two)) return two;
  }
  const one = chars[0]!.toUpperCase();
  if (CHEMICAL_SYMBOLS.has(one)) return one;
  throw keyError(`Could not parse species from label ${label}.`);
}

const notIterable = () => typeError("'NoneType' object is not iterable");

/** Reads a pw.x input as ASE does; throws the PythonError ASE would raise. */
export function readEspressoIn(content: string): EspressoStructure {
  const { namelists, cards } = readNamelists(content);
  const system = namelists.get('system');
  if (!system) throw keyError('Required section &SYSTEM not found.');
  const ibrav = system.get('ibrav');
  if (!ibrav) throw keyError('ibrav is required in &SYSTEM');
  if (numeric(ibrav) !== 0) throw valueError(IBRAV_MESSAGE);
  let alat: number | null = null;
  const celldm = system.get('celldm(1)');
  if (celldm) {
    const value = numeric(celldm);
    if (value === undefined) throw typeError("can't multiply sequence by non-int of type 'float'");
    alat = value * BOHR;
  }
  const cell = readCell(cards, alat);

  const ntyp = system.get('ntyp');
  if (!ntyp) throw keyError('ntyp');
  const species = readSpecies(cards, ntyp);
  if (species === null) throw notIterable();
  const magmoms = new Map<string, NamelistValue | undefined>();
  species.forEach(([label], i) => {
    magmoms.set(labelToSymbol(label), system.get(`starting_magnetization(${i + 1})`));
  });

  const nat = system.get('nat');
  if (!nat) throw keyError('nat');
  const positions = readPositions(cards, nat, cell, alat);
  if (positions === null) throw notIterable();
  const symbols = positions.map((p) => labelToSymbol(p.label));
  const atomMagmoms = symbols.map((symbol) => {
    if (!magmoms.has(symbol)) throw keyError(symbol);
    return magmoms.get(symbol);
  });
  // ase.Atoms: the cell is checked first, then the positions' shape, then the magnetic moments.
  if (cell !== null && cell[0]!.length !== 3) {
    throw valueError('Cell must be length 3 sequence, length 6 sequence or 3x3 matrix!');
  }
  for (const magmom of atomMagmoms) if (magmom?.kind === 'str') pyFloat(magmom.value);
  return {
    atoms: positions.map((p, i) => ({ symbol: symbols[i]!, position: p.position as [number, number, number] })),
    cell,
  };
}
