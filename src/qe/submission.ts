import { ApiError } from '../http/errors.js';
import { readQeInput, refuseStoredStructure } from './input.js';

export interface SubmittedStructure {
  content: string;
  structure_id?: string | null;
  mobile_indices: number[];
}

/**
 * Steps 5 and 6 of the legacy's POST /api/zpe/jobs: the structure (as parse reads it) and the mobile
 * indices, sorted and de-duplicated, checked against its atom count and fixed atoms. Answers the
 * indices to store; throws the legacy's refusal.
 */
export function checkSubmission(body: SubmittedStructure): number[] {
  refuseStoredStructure(body.structure_id);
  const input = readQeInput(body.content);
  const mobile = [...new Set(body.mobile_indices)].sort((a, b) => a - b);
  if (mobile.length === 0) throw new ApiError(400, '可動原子が空です。');
  if (mobile.some((i) => i < 0 || i >= input.atoms.length))
    throw new ApiError(400, '可動原子のインデックスが範囲外です。');
  const fixed = new Set(input.fixedIndices);
  if (mobile.some((i) => fixed.has(i))) throw new ApiError(400, '固定原子が可動原子に含まれています。');
  return mobile;
}
