import { isOperationId, type OperationId } from '../../contract/operations.js';

/**
 * Per-operation upstream budgets from one setting, e.g. `getJobResult=30000,downloadJobFile=60000`,
 * so reads and writes can differ. Throws naming every entry it cannot use.
 */
export function parseOperationTimeouts(raw: string | undefined): Partial<Record<OperationId, number>> {
  const budgets: Partial<Record<OperationId, number>> = {};
  const problems: string[] = [];
  for (const entry of (raw ?? '').split(',')) {
    if (!entry.trim()) continue;
    const [id = '', ms = ''] = entry.split('=').map((s) => s.trim());
    const value = Number(ms);
    if (!isOperationId(id)) problems.push(`unknown operation '${id}'`);
    else if (!ms || !Number.isInteger(value) || value < 1)
      problems.push(`'${entry.trim()}' needs a whole number of ms`);
    else budgets[id] = value;
  }
  if (problems.length > 0) throw new Error(`expected operationId=ms pairs: ${problems.join('; ')}`);
  return budgets;
}
