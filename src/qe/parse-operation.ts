import type { z } from 'zod';
import type { ParseRequest } from '../contract/schemas/parse.js';
import { answerOf } from '../http/answer.js';
import type { OperationCall } from '../http/app.js';
import { ApiError, errorResponse } from '../http/errors.js';
import { PythonError } from '../python/builtins.js';
import { PyFloat, type PyValue, pyDumps, pyObject } from '../python/json.js';
import { readQeInput, refuseStoredStructure } from './input.js';
import { atomicSpecies, automaticKpoints } from './text-scans.js';

const vector = (row: number[]): PyValue =>
  pyObject({ x: new PyFloat(row[0]!), y: new PyFloat(row[1]!), z: new PyFloat(row[2]!) });

/** The legacy's 200 answer to POST /api/zpe/parse, as the JSON text it sends. */
export function parseAnswer(content: string, structureId?: string | null): string {
  refuseStoredStructure(structureId);
  const input = readQeInput(content);
  let kpoints: [string, string, string] | null;
  try {
    kpoints = automaticKpoints(content);
  } catch (err) {
    // The legacy turns a ValueError raised in a handler into 400 with its text.
    if (err instanceof PythonError) throw new ApiError(400, err.text);
    throw err;
  }
  const lattice = input.lattice;
  const answer = pyObject({
    structure: pyObject({
      atoms: input.atoms.map((atom) =>
        pyObject({
          symbol: atom.symbol,
          x: new PyFloat(atom.position[0]),
          y: new PyFloat(atom.position[1]),
          z: new PyFloat(atom.position[2]),
        }),
      ),
      lattice: lattice ? pyObject({ a: vector(lattice[0]!), b: vector(lattice[1]!), c: vector(lattice[2]!) }) : null,
    }),
    fixed_indices: input.fixedIndices,
    atomic_species: atomicSpecies(content),
    kpoints: kpoints ? kpoints.map((n) => BigInt(n)) : null,
  });
  return pyDumps(answer, { compact: true, nonFiniteAsNull: true });
}

/**
 * POST /api/zpe/parse answered by the gateway itself (no next-gen, no HTTP legacy): the legacy's
 * answers and refusals, byte for byte where Python's float spelling shows.
 */
export async function serveParse(call: OperationCall): Promise<Response> {
  const body = call.body as z.output<typeof ParseRequest>;
  try {
    return answerOf(parseAnswer(body.content, body.structure_id), 200, { 'content-type': 'application/json' });
  } catch (err) {
    if (err instanceof ApiError) return errorResponse(err);
    throw err;
  }
}
