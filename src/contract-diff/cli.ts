import { parseArgs } from 'node:util';
import { diffContracts } from './diff.js';
import { ContractInputError } from './document.js';
import { CONTRACT_PATH, loadContract } from './load.js';
import { formatJson, formatText, summarize } from './report.js';
import { manifestForHead, retiredOperations } from './retirement.js';

export const USAGE = `usage: npm run contract:diff -- BASE [HEAD] [--paths PREFIX] [--today YYYY-MM-DD] [--format text|json]

  BASE, HEAD  a file, REF:PATH (e.g. HEAD~1:openapi/openapi.json), or a git ref meaning REF:${CONTRACT_PATH};
              HEAD defaults to the working tree's ${CONTRACT_PATH}; relative paths start at the
              repository root (npm runs scripts there)
  --paths     compare only paths that start with PREFIX (e.g. /api/zpe/)
  --today     the date deprecation and sunset rules compare against (default: today, UTC)
  --format    text (default): one line per change and a summary; json: for machines
  --manifest  the retirement manifest whose closed items make removals RETIRED (default: HEAD's
              routes/retirement.json: the ref's for a git ref, the working tree's for a file)

exit status: 1 if any change is breaking (ERR), 2 on a usage error, 0 otherwise`;

export interface CliIo {
  cwd: string;
  out(text: string): void;
  err(text: string): void;
}

/** `contract:diff` as a function: returns the exit code instead of exiting, so tests can drive it. */
export function runContractDiff(argv: readonly string[], io: CliIo): number {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`contract:diff: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  try {
    const base = loadContract(args.base, io.cwd);
    const head = loadContract(args.head, io.cwd);
    const manifest = manifestForHead(args.head, io.cwd, args.manifest);
    const isRetired = manifest ? retiredOperations(manifest.value, manifest.source, base.document) : undefined;
    const findings = diffContracts(base.document, head.document, {
      pathPrefix: args.paths,
      today: args.today,
      isRetired,
    });
    const summary = summarize(findings);
    if (args.format === 'json') {
      io.out(
        formatJson({
          base: base.source,
          head: head.source,
          today: args.today,
          pathPrefix: args.paths,
          summary,
          changes: findings,
        }),
      );
    } else {
      io.out(formatText(findings));
    }
    return summary.error > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof ContractInputError)) throw error;
    io.err(`contract:diff: ${error.message}\n`);
    return 2;
  }
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      paths: { type: 'string' },
      today: { type: 'string' },
      format: { type: 'string' },
      manifest: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true, base: '', head: '', paths: '', today: '', format: 'text' };
  if (positionals.length < 1) throw new Error('BASE is missing');
  if (positionals.length > 2)
    throw new Error(`expected BASE [HEAD], got ${positionals.length} arguments: ${positionals.join(' ')}`);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new Error(`--format must be text or json, not '${format}'`);
  const today = values.today ?? new Date().toISOString().slice(0, 10);
  if (!isDate(today)) throw new Error(`--today must be a date as YYYY-MM-DD, not '${today}'`);
  if (values.paths !== undefined && !values.paths.startsWith('/')) {
    throw new Error(`--paths must be a path prefix starting with '/', not '${values.paths}'`);
  }
  return {
    help: false,
    base: positionals[0] ?? '',
    head: positionals[1] ?? CONTRACT_PATH,
    paths: values.paths ?? '',
    today,
    format,
    manifest: values.manifest,
  };
}

function isDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}
