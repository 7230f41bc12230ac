import { RETIRED_RULES } from './retirement.js';
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

/** One line per finding, `ERR  rule-id  METHOD /path  message` (fields two spaces apart), then the summary line. */
export function formatText(findings: readonly Finding[]): string {
  const lines = findings.map((f) =>
    [RETIRED_RULES.has(f.id) ? 'RETIRED' : f.level, f.id, `${f.method} ${f.path}`, f.message].join('  '),
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
