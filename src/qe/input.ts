/**
 * What the gateway reads from a Quantum ESPRESSO pw.x input: the atom count and which atoms are fixed,
 * enough to check a submission's mobile indices. It is not a full pw.x parser.
 *
 * Accepted:
 * - Comments: `!` and `#` start a comment that runs to the end of the line (outside quoted strings).
 * - Namelists `&name ... /`, names case-insensitive; assignments `key = value` separated by commas or
 *   new lines; values quoted ('...' or "..."), logical (.true.), or numbers with Fortran exponents
 *   (`1d-4`, `1.0D0`, `90.`). Only `nat` in `&system` is used; it is required and must be a positive
 *   whole number.
 * - The `ATOMIC_POSITIONS` card, case-insensitive, with its unit in parentheses `(angstrom)`, in braces
 *   `{crystal}`, bare `angstrom`, or none; units alat, bohr, angstrom, crystal, crystal_sg.
 *   Then, like pw.x, exactly `nat` atom lines (blank and comment lines skipped): `label x y z`, optionally
 *   followed by the `if_pos` triple of 0/1 flags. Lines after the first `nat` are not atoms (pw.x ignores
 *   them with a warning): real inputs carry such leftovers.
 * - An atom is fixed when its three `if_pos` flags are all 0; without `if_pos` it moves.
 *
 * Indices are zero-based: atom i is the (i+1)-th atom line, 0 <= i < nat.
 */

export interface QeAtom {
  symbol: string;
  x: number;
  y: number;
  z: number;
  /** The `if_pos` flags, or null when the line has none (the atom moves). */
  ifPos: [number, number, number] | null;
}

export interface QeInput {
  nat: number;
  /** The atoms of ATOMIC_POSITIONS, in order; exactly `nat` of them. */
  atoms: QeAtom[];
  /** Zero-based indices of the atoms whose `if_pos` flags are all 0, ascending. */
  fixedIndices: number[];
}

/** The input cannot be read; the message says what and where (1-based line numbers). */
export class QeInputError extends Error {
  override name = 'QeInputError';
}

const UNITS = new Set(['alat', 'bohr', 'angstrom', 'crystal', 'crystal_sg']);
const CARD_HEADER = /^ATOMIC_POSITIONS\b\s*(.*)$/i;
const UNIT_SPEC = /^(?:\((\w*)\)|\{(\w*)\}|(\w+))?$/;
const NEXT_CARD =
  /^(?:ATOMIC_SPECIES|ATOMIC_POSITIONS|K_POINTS|CELL_PARAMETERS|CONSTRAINTS|OCCUPATIONS|ATOMIC_VELOCITIES|ATOMIC_FORCES|ADDITIONAL_K_POINTS|SOLVENTS|HUBBARD)\b/i;
const LABEL = /^[A-Za-z][\w-]{0,5}$/;
const FORTRAN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][+-]?\d+)?$/;

interface Line {
  number: number;
  text: string;
}

/** Drops `!`/`#` comments (outside quotes) and surrounding space. */
function stripComment(raw: string): string {
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
    } else if (ch === '!' || ch === '#') {
      return raw.slice(0, i).trim();
    }
  }
  return raw.trim();
}

export function parseFortranNumber(token: string): number | undefined {
  if (!FORTRAN_NUMBER.test(token)) return undefined;
  const value = Number(token.replace(/[dD]/, 'e'));
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The namelists' assignments, by lower-cased namelist and key; the first namelist of a name wins. Text
 * between namelists (the cards) is returned as the remaining lines.
 */
function splitNamelists(lines: Line[]): { namelists: Map<string, Map<string, string>>; rest: Line[] } {
  const namelists = new Map<string, Map<string, string>>();
  const rest: Line[] = [];
  let current: Map<string, string> | null = null;
  for (const line of lines) {
    let text = line.text;
    if (current === null) {
      const open = /^&(\w+)\s*(.*)$/.exec(text);
      if (!open) {
        rest.push(line);
        continue;
      }
      const name = open[1]!.toLowerCase();
      current = new Map();
      if (!namelists.has(name)) namelists.set(name, current);
      text = open[2]!;
    }
    const assignment = /([A-Za-z_]\w*(?:\([^)]*\))?)\s*=\s*('[^']*'|"[^"]*"|[^,\s/]+)|(\/)/g;
    for (let m = assignment.exec(text); m !== null; m = assignment.exec(text)) {
      if (m[3] === '/') {
        current = null;
        break;
      }
      if (!current.has(m[1]!.toLowerCase())) current.set(m[1]!.toLowerCase(), m[2]!);
    }
  }
  if (current !== null) throw new QeInputError('a namelist is not closed with /');
  return { namelists, rest };
}

function readNat(namelists: Map<string, Map<string, string>>): number {
  const system = namelists.get('system');
  if (!system) throw new QeInputError('no &system namelist');
  const raw = system.get('nat');
  if (raw === undefined) throw new QeInputError('nat not found in &system');
  const nat = parseFortranNumber(raw);
  if (nat === undefined || !Number.isInteger(nat) || nat < 1) {
    throw new QeInputError(`nat must be a positive whole number, got '${raw}'`);
  }
  return nat;
}

function readAtom(line: Line): QeAtom {
  const fields = line.text.split(/\s+/);
  if (fields.length !== 4 && fields.length !== 7) {
    throw new QeInputError(
      `line ${line.number}: an atom line is 'label x y z' with an optional if_pos triple, got ${fields.length} fields`,
    );
  }
  const [symbol, ...numbers] = fields as [string, ...string[]];
  if (!LABEL.test(symbol)) throw new QeInputError(`line ${line.number}: '${symbol}' is not an atom label`);
  const coordinates = numbers.slice(0, 3).map((token) => {
    const value = parseFortranNumber(token);
    if (value === undefined) throw new QeInputError(`line ${line.number}: '${token}' is not a number`);
    return value;
  }) as [number, number, number];
  let ifPos: QeAtom['ifPos'] = null;
  if (numbers.length === 6) {
    ifPos = numbers.slice(3).map((token) => {
      if (token !== '0' && token !== '1') {
        throw new QeInputError(`line ${line.number}: if_pos flags are 0 or 1, got '${token}'`);
      }
      return Number(token);
    }) as [number, number, number];
  }
  return { symbol, x: coordinates[0], y: coordinates[1], z: coordinates[2], ifPos };
}

function readPositions(lines: Line[], nat: number): QeAtom[] {
  const start = lines.findIndex((line) => CARD_HEADER.test(line.text));
  if (start < 0) throw new QeInputError('no ATOMIC_POSITIONS card');
  const header = lines[start]!;
  const unit = UNIT_SPEC.exec(CARD_HEADER.exec(header.text)![1]!.trim());
  const name = unit ? (unit[1] ?? unit[2] ?? unit[3] ?? '').toLowerCase() : undefined;
  if (name === undefined || (name !== '' && !UNITS.has(name))) {
    throw new QeInputError(`line ${header.number}: unknown ATOMIC_POSITIONS unit`);
  }
  const atoms: QeAtom[] = [];
  for (const line of lines.slice(start + 1)) {
    if (atoms.length === nat) break;
    if (line.text === '') continue;
    if (NEXT_CARD.test(line.text)) break;
    atoms.push(readAtom(line));
  }
  if (atoms.length < nat) {
    throw new QeInputError(`ATOMIC_POSITIONS lists ${atoms.length} atoms, but nat = ${nat}`);
  }
  return atoms;
}

/** Reads a pw.x input; throws QeInputError when it cannot. */
export function parseQeInput(content: string): QeInput {
  const lines = content.split(/\r\n|\r|\n/).map((raw, i) => ({ number: i + 1, text: stripComment(raw) }));
  const { namelists, rest } = splitNamelists(lines);
  const nat = readNat(namelists);
  const atoms = readPositions(rest, nat);
  const fixedIndices = atoms.flatMap((atom, i) => (atom.ifPos?.every((flag) => flag === 0) ? [i] : []));
  return { nat, atoms, fixedIndices };
}
