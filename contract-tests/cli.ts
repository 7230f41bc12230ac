/**
 * npm run conformance -- --base-url URL [--base-path /api/zpe]
 *   [--user-header X-Dev-User-Id=alice | --user-token JWT]
 *   [--other-user-header X-Dev-User-Id=bob | --other-user-token JWT]
 *   [--admin-token TOKEN] [--contract openapi/openapi.json] [--timeout-ms 10000]
 *
 * Prints one line per check and `N passed, N failed` last; exits 1 on any failure, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import type { Credentials } from './client.js';
import { loadContract } from './contract.js';
import { formatCheck, runConformance, summaryLine } from './suite.js';

const USAGE =
  'usage: npm run conformance -- --base-url URL [--base-path /api/zpe] ' +
  '[--user-header NAME=VALUE | --user-token JWT] [--other-user-header NAME=VALUE | --other-user-token JWT] ' +
  '[--admin-token TOKEN] [--contract FILE] [--timeout-ms MS]';

class UsageError extends Error {}

function credentials(header: string | undefined, token: string | undefined, flag: string): Credentials | undefined {
  if (header !== undefined && token !== undefined) {
    throw new UsageError(`give --${flag}-header or --${flag}-token, not both`);
  }
  if (token !== undefined) return { bearer: token };
  if (header === undefined) return undefined;
  const eq = header.indexOf('=');
  if (eq <= 0) throw new UsageError(`--${flag}-header wants NAME=VALUE, got '${header}'`);
  return { header: header.slice(0, eq), value: header.slice(eq + 1) };
}

function baseUrl(raw: string | undefined): string {
  if (raw === undefined) throw new UsageError('--base-url is required');
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    return raw;
  } catch {
    throw new UsageError(`--base-url must be an http(s) URL, got '${raw}'`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'base-url': { type: 'string' },
      'base-path': { type: 'string' },
      'user-header': { type: 'string' },
      'user-token': { type: 'string' },
      'other-user-header': { type: 'string' },
      'other-user-token': { type: 'string' },
      'admin-token': { type: 'string' },
      contract: { type: 'string' },
      'timeout-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const timeout = values['timeout-ms'] === undefined ? undefined : Number(values['timeout-ms']);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) {
    throw new UsageError(`--timeout-ms must be a positive whole number, got '${values['timeout-ms']}'`);
  }
  const options = {
    baseUrl: baseUrl(values['base-url']),
    basePath: values['base-path'],
    user: credentials(values['user-header'], values['user-token'], 'user'),
    otherUser: credentials(values['other-user-header'], values['other-user-token'], 'other-user'),
    adminToken: values['admin-token'],
    requestTimeoutMs: timeout,
  };
  const { document, source } = loadContract(values.contract);
  console.log(`conformance of ${options.baseUrl} against ${source}`);
  const report = await runConformance({ ...options, document, onCheck: (check) => console.log(formatCheck(check)) });
  console.log(`${report.responses} responses validated`);
  console.log(summaryLine(report));
  return report.failed > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usage =
      err instanceof UsageError || (err instanceof Error && 'code' in err && /^ERR_PARSE_ARGS/.test(String(err.code)));
    console.error(usage ? `${(err as Error).message}\n${USAGE}` : err);
    process.exitCode = 2;
  },
);
