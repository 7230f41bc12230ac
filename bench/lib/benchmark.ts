/** One benchmark: runs against its own private servers and answers rows for the report. */
export interface Benchmark {
  name: string;
  /** What the numbers mean and how they were taken, printed above the table. */
  description: string;
  run(): Promise<Row[]>;
}

export interface Row {
  measure: string;
  value: string;
}

export function printTable(title: string, description: string, rows: Row[]): void {
  const width = Math.max('measure'.length, ...rows.map((r) => r.measure.length));
  const valueWidth = Math.max('value'.length, ...rows.map((r) => r.value.length));
  const line = (a: string, b: string) => `| ${a.padEnd(width)} | ${b.padStart(valueWidth)} |`;
  console.log(`\n## ${title}\n\n${description}\n`);
  console.log(line('measure', 'value'));
  console.log(`| ${'-'.repeat(width)} | ${'-'.repeat(valueWidth - 1)}: |`);
  for (const row of rows) console.log(line(row.measure, row.value));
}

/** Runs `count` copies of `work` at once. */
export const concurrently = <T>(count: number, work: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, i) => work(i)));

export const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);
