/** One sample of the Prometheus text format: `name{label="value",...} number`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g;

/** Parses an exposition into samples; comments (HELP, TYPE) are skipped, a line that does not parse throws. */
export function parsePrometheus(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = LINE.exec(line);
      if (!match) throw new Error(`not a sample: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, name, value] of (match[2] ?? '').matchAll(LABEL)) labels[name as string] = value as string;
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** The samples of one metric whose labels include `where`. */
export function select(samples: Sample[], name: string, where: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(where).every(([key, value]) => s.labels[key] === value),
  );
}

/** The value of the one sample that matches, or undefined. */
export function value(samples: Sample[], name: string, where: Record<string, string> = {}): number | undefined {
  const found = select(samples, name, where);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(where)}`);
  return found[0]?.value;
}
