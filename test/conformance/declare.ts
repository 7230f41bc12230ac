import { expect, it } from 'vitest';
import type { Outcome, Report } from '../../contract-tests/suite.js';

/**
 * One vitest test per conformance check, each expecting the outcome the target should give
 * (`pass` unless `expected` says otherwise), with the check's reason as the failure message.
 */
export function declareChecks(report: Report, expected: (name: string) => Outcome = () => 'pass'): void {
  for (const check of report.checks) {
    it(check.name, () => {
      expect(check.outcome, check.reason ?? 'no reason given').toBe(expected(check.name));
    });
  }
}
