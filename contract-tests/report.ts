export type Outcome = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  outcome: Outcome;
  /** Why it failed or was skipped; for a pass, an optional note. */
  reason?: string;
}

export interface Report {
  checks: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
  /** How many responses were validated against the contract. */
  responses: number;
}

/** A check's expectation did not hold; the message says what was expected and what came back. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
}

/** The check cannot run here (nothing configured for it, or a check it builds on did not pass). */
export class CheckSkipped extends Error {
  override name = 'CheckSkipped';
}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailure(message);
}

export function skip(reason: string): never {
  throw new CheckSkipped(reason);
}

/** A value an earlier check was to produce; without it the current check is skipped, naming that check. */
export function need<T>(value: T | undefined, check: string): T {
  if (value === undefined) skip(`skipped: needs "${check}"`);
  return value;
}

/** Runs named checks in order and records each outcome; a failing check never stops the run. */
export class Checks {
  readonly results: CheckResult[] = [];

  constructor(private readonly onCheck?: (result: CheckResult) => void) {}

  /** `body` may answer a string: a note kept with the pass. */
  async run(name: string, body: () => Promise<unknown>): Promise<boolean> {
    let result: CheckResult;
    try {
      const note = await body();
      result = typeof note === 'string' && note ? { name, outcome: 'pass', reason: note } : { name, outcome: 'pass' };
    } catch (err) {
      if (err instanceof CheckSkipped) result = { name, outcome: 'skip', reason: err.message };
      else result = { name, outcome: 'fail', reason: err instanceof Error ? err.message : String(err) };
    }
    this.results.push(result);
    this.onCheck?.(result);
    return result.outcome === 'pass';
  }

  report(responses: number): Report {
    const count = (outcome: Outcome) => this.results.filter((r) => r.outcome === outcome).length;
    return {
      checks: [...this.results],
      passed: count('pass'),
      failed: count('fail'),
      skipped: count('skip'),
      responses,
    };
  }
}

/** `N passed, N failed`, plus `, N skipped` when any were. */
export function summaryLine(report: Pick<Report, 'passed' | 'failed' | 'skipped'>): string {
  const line = `${report.passed} passed, ${report.failed} failed`;
  return report.skipped > 0 ? `${line}, ${report.skipped} skipped` : line;
}

export function formatCheck(result: CheckResult): string {
  const label = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' }[result.outcome];
  return result.reason ? `${label}  ${result.name} (${result.reason})` : `${label}  ${result.name}`;
}
