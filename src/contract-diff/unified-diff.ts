type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

/** Above this many cells the line alignment gives up and shows the middle as replaced wholesale. */
const MAX_CELLS = 25_000_000;

/**
 * A unified diff (`---`/`+++`, `@@ -a,b +c,d @@` hunks with `context` lines around each change), enough
 * for a person to see what drifted. Returns '' when the texts are equal.
 */
export function unifiedDiff(
  before: string,
  after: string,
  labels: { before: string; after: string },
  context = 3,
): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = align(a, b);
  const hunks: string[] = [];
  let index = 0;
  while (index < ops.length) {
    while (index < ops.length && ops[index]?.kind === ' ') index++;
    if (index >= ops.length) break;
    const start = Math.max(0, index - context);
    let end = index;
    // Extend the hunk while the next change is within 2 * context unchanged lines.
    for (let next = index; next < ops.length; next++) {
      if (ops[next]?.kind === ' ') continue;
      if (next - end > 2 * context) break;
      end = next;
    }
    const stop = Math.min(ops.length, end + context + 1);
    const slice = ops.slice(start, stop);
    const first = slice[0];
    const removed = slice.filter((op) => op.kind !== '+').length;
    const added = slice.filter((op) => op.kind !== '-').length;
    const aStart = first ? first.a + (removed === 0 ? 0 : 1) : 0;
    const bStart = first ? first.b + (added === 0 ? 0 : 1) : 0;
    hunks.push(`@@ -${aStart},${removed} +${bStart},${added} @@`, ...slice.map((op) => `${op.kind}${op.line}`));
    index = stop;
  }
  return `${[`--- ${labels.before}`, `+++ ${labels.after}`, ...hunks].join('\n')}\n`;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  else lines.push('\\ No newline at end of file');
  return lines;
}

/** Longest common subsequence after trimming the common head and tail, which is where most edits leave. */
function align(a: string[], b: string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const ops: Op[] = [];
  for (let i = 0; i < head; i++) ops.push({ kind: ' ', line: a[i] ?? '', a: i, b: i });
  ops.push(...alignMiddle(midA, midB).map((op) => ({ ...op, a: op.a + head, b: op.b + head })));
  for (let i = tail; i > 0; i--) {
    ops.push({ kind: ' ', line: a[a.length - i] ?? '', a: a.length - i, b: b.length - i });
  }
  return ops;
}

function alignMiddle(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  if ((n + 1) * (m + 1) > MAX_CELLS) {
    return [
      ...a.map((line, i): Op => ({ kind: '-', line, a: i, b: 0 })),
      ...b.map((line, j): Op => ({ kind: '+', line, a: n, b: j })),
    ];
  }
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], row-major in one typed array.
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? (lcs[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * width + j] ?? 0, lcs[i * width + j + 1] ?? 0);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i] ?? '', a: i++, b: j++ });
    } else if (i < n && (j >= m || (lcs[(i + 1) * width + j] ?? 0) >= (lcs[i * width + j + 1] ?? 0))) {
      ops.push({ kind: '-', line: a[i] ?? '', a: i++, b: j });
    } else {
      ops.push({ kind: '+', line: b[j] ?? '', a: i, b: j++ });
    }
  }
  return ops;
}
