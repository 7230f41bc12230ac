import type { Finding, Level } from './types.js';

export interface Summary {
  changes: number;
  error: number;
  warning: number;
  info: number;
}

export function summarize(findings: readonly Finding[]): Summary {
  const count = (level: Level) => findings.filter((f) => f.level === level).length;
  return { changes: findings.length, error: count('ERR'), warning: count('WARN'), info: count('INFO') };
}

export function summaryLine(summary: Summary): string {
  return `${summary.changes} changes: ${summary.error} error, ${summary.warning} warning, ${summary.info} info`;
}

/** One line per finding (`ERR  rule-id  METHOD /path  message`), columns aligned, then the summary line. */
export function formatText(findings: readonly Finding[]): string {
  const idWidth = Math.max(0, ...findings.map((f) => f.id.length));
  const opWidth = Math.max(0, ...findings.map((f) => f.method.length + 1 + f.path.length));
  const lines = findings.map((f) =>
    [f.level.padEnd(4), f.id.padEnd(idWidth), `${f.method} ${f.path}`.padEnd(opWidth), f.message].join('  '),
  );
  return `${[...lines, summaryLine(summarize(findings))].join('\n')}\n`;
}

export interface JsonReport {
  base: string;
  head: string;
  today: string;
  pathPrefix: string;
  summary: Summary;
  changes: readonly Finding[];
}

export function formatJson(report: JsonReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
