/**
 * The gateway's one reader of Quantum ESPRESSO pw.x inputs, answering as the legacy control plane
 * does (`services/zpe/parse.py` over ASE): POST /api/zpe/parse and the submission checks of
 * POST /api/zpe/jobs both go through `readQeInput`, so a submission is refused exactly when, and with
 * the message with which, the legacy refuses it.
 *
 * What of the pw.x format it reads, in the legacy's order:
 * 1. A line (split at `\n`) matching `^\s*ATOMIC_POSITIONS\b` in any case; none: "構造データではありません。".
 * 2. The input as ASE's espresso-in reader reads it (espresso-in.ts documents exactly which namelists,
 *    cards, units and values); anything ASE raises: "QE .in のパースに失敗しました: " + Python's str(exc).
 *    The structure is ASE's: element symbols, Cartesian positions in Å, the cell rows in Å (null
 *    when all nine |v| < 1e-8, or no CELL_PARAMETERS).
 * 3. The legacy's own text scans (text-scans.ts), at lines split as Python's splitlines(): the fixed
 *    atoms of the first ATOMIC_POSITIONS block (if_pos 0 0 0, counted over the block's lines, not
 *    ASE's atoms), the ATOMIC_SPECIES pseudopotentials, and the `K_POINTS (automatic)` grid.
 * Every step is linear in the input: hand-written scans, no backtracking regular expression.
 */
import { ApiError } from '../http/errors.js';
import { PythonError } from '../python/builtins.js';
import { type EspressoAtom, readEspressoIn } from './espresso-in.js';
import { fixedIndices, hasPositionsLine } from './text-scans.js';

export interface QeInput {
  atoms: EspressoAtom[];
  /** Cell rows in Å, or null (no cell, or a zero one). */
  lattice: number[][] | null;
  /** Zero-based indices of the fixed atoms, ascending (the legacy's text scan). */
  fixedIndices: number[];
}

export const NOT_A_STRUCTURE = '構造データではありません。';
export const PARSE_FAILED = 'QE .in のパースに失敗しました: ';

function latticeOf(cell: number[][] | null): number[][] | null {
  if (cell === null) return null;
  return cell.every((row) => row.every((v) => Math.abs(v) < 1e-8)) ? null : cell;
}

/** Reads a pw.x input as the legacy does; throws ApiError 400 with the legacy's message when it refuses it. */
export function readQeInput(content: string): QeInput {
  if (!hasPositionsLine(content)) throw new ApiError(400, NOT_A_STRUCTURE);
  let structure: ReturnType<typeof readEspressoIn>;
  try {
    structure = readEspressoIn(content);
  } catch (err) {
    if (err instanceof PythonError) throw new ApiError(400, PARSE_FAILED + err.text);
    throw err;
  }
  try {
    return { atoms: structure.atoms, lattice: latticeOf(structure.cell), fixedIndices: fixedIndices(content) };
  } catch (err) {
    if (err instanceof PythonError) throw new ApiError(400, err.text);
    throw err;
  }
}

/**
 * The legacy resolves a non-empty `structure_id` in its process's own structure store, which the
 * gateway does not have: every such id is unknown ("" counts as absent).
 */
export function refuseStoredStructure(structureId: string | null | undefined): void {
  if (structureId) throw new ApiError(404, 'Structure not found');
}
