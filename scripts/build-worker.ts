/**
 * npm run build:worker [-- --outdir DIR]
 *
 * Bundles the Cloudflare Workers entry the way `wrangler deploy` does (a dry run, offline) into
 * dist/worker, refuses a bundle that would need Node (naming the module and the import chain that
 * pulls it in), and prints the bundle's size, raw and gzipped. Exits 1 on any failure.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const WRANGLER = require.resolve('wrangler/bin/wrangler.js');
/** Wrangler's own esbuild, so the import graph is resolved the way the bundle is. */
const ESBUILD = createRequire(WRANGLER).resolve('esbuild');

export const DEFAULT_OUT_DIR = path.join(ROOT, 'dist', 'worker');

/** Offline: no account lookups, no telemetry. */
const WRANGLER_ENV = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' };

/** Code that exists for Node only and must never reach the Worker (it would fail there, or bloat it). */
const NODE_ONLY: { module: string; pattern: RegExp }[] = [
  { module: 'ioredis', pattern: /(^|\/)node_modules\/ioredis\// },
  { module: 'undici', pattern: /(^|\/)node_modules\/undici\// },
  { module: '@hono/node-server', pattern: /(^|\/)node_modules\/@hono\/node-server\// },
  { module: 'src/redis', pattern: /^src\/redis\// },
  { module: 'src/backends/legacy-redis', pattern: /^src\/backends\/legacy-redis\// },
  { module: 'src/runtime/node', pattern: /^src\/runtime\/node\// },
  { module: 'src/flags/redis-storage.ts', pattern: /^src\/flags\/redis-storage\.ts$/ },
  { module: 'src/backends/http/undici-client.ts', pattern: /^src\/backends\/http\/undici-client\.ts$/ },
];

const NODE_BUILTINS = new Set(builtinModules);

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0] ?? specifier);
}

export interface WorkerBuild {
  /** The bundled Worker script (ES module). */
  scriptPath: string;
  rawBytes: number;
  gzipBytes: number;
  durationMs: number;
  /** From wrangler.toml, for running the bundle in Miniflare with the same date. */
  compatibilityDate: string;
}

export class WorkerBuildError extends Error {
  override name = 'WorkerBuildError';
}

interface Metafile {
  inputs: Record<string, { imports: { path: string; external?: boolean }[] }>;
}

/** Each Node-only module the graph reaches first, with the shortest import chain from the entry to it. */
export function nodeOnlyChains(metafile: Metafile, entry: string): string[] {
  const previous = new Map<string, string | null>([[entry, null]]);
  const queue = [entry];
  const found = new Map<string, string>();
  const chainTo = (last: string) => {
    const chain: string[] = [];
    for (let at: string | null | undefined = last; at; at = previous.get(at)) chain.unshift(at);
    return chain.join(' -> ');
  };
  while (queue.length > 0) {
    const file = queue.shift() as string;
    const rule = NODE_ONLY.find((r) => r.pattern.test(file));
    if (rule) {
      // The first Node-only file on a chain is the one to name; what it imports is its own business.
      if (!found.has(rule.module)) found.set(rule.module, chainTo(file));
      continue;
    }
    for (const imported of metafile.inputs[file]?.imports ?? []) {
      if (imported.external) {
        if (isNodeBuiltin(imported.path) && !found.has(imported.path))
          found.set(imported.path, `${chainTo(file)} -> ${imported.path}`);
        continue;
      }
      if (!previous.has(imported.path)) {
        previous.set(imported.path, file);
        queue.push(imported.path);
      }
    }
  }
  return [...found].map(([module, chain]) => `${module}: ${chain}`);
}

function refuseNodeOnly(metafile: Metafile, entry: string): void {
  const chains = nodeOnlyChains(metafile, entry);
  if (chains.length > 0) {
    throw new WorkerBuildError(
      `the Worker bundle would pull in Node-only modules:\n${chains.map((c) => `  ${c}`).join('\n')}`,
    );
  }
}

/** The import graph, Node built-ins left unresolved, so a leak is named with its chain before wrangler fails on it. */
async function importGraph(entry: string): Promise<Metafile> {
  const esbuild = (await import(pathToFileURL(ESBUILD).href)) as typeof import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['browser', 'module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    external: ['node:*', 'cloudflare:*', ...builtinModules],
    logLevel: 'silent',
  });
  return result.metafile as Metafile;
}

async function compatibilityDate(): Promise<string> {
  const toml = await readFile(path.join(ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new WorkerBuildError('wrangler.toml has no compatibility_date');
  return date;
}

function runWrangler(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [WRANGLER, ...args],
      { cwd: ROOT, env: { ...process.env, ...WRANGLER_ENV }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve();
        const output = `${stdout}\n${stderr}`.trim();
        reject(new WorkerBuildError(`wrangler ${args[0]} failed (exit ${err.code ?? '?'}):\n${output}`));
      },
    );
  });
}

/**
 * Bundles `entry` (default: wrangler.toml's `main`) as `wrangler deploy` would, into `outDir`; refuses
 * Node-only modules. The tests run this very bundle in workerd.
 */
export async function buildWorker(options: { entry?: string; outDir?: string } = {}): Promise<WorkerBuild> {
  const started = performance.now();
  const date = await compatibilityDate();
  const entry = options.entry ?? 'src/runtime/workers/index.ts';
  const outDir = path.resolve(options.outDir ?? DEFAULT_OUT_DIR);

  refuseNodeOnly(await importGraph(entry), entry);

  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const metafilePath = path.join(outDir, 'bundle-meta.json');
  const args = ['deploy', '--dry-run', '--outdir', outDir, '--metafile', metafilePath];
  if (options.entry) args.push(options.entry);
  await runWrangler(args);
  // What wrangler bundled, checked the same way: nothing Node-only may have slipped in another way.
  refuseNodeOnly(JSON.parse(await readFile(metafilePath, 'utf8')) as Metafile, entry);

  const scriptName = `${path.basename(entry).replace(/\.[cm]?[jt]s$/, '')}.js`;
  const scriptPath = path.join(outDir, scriptName);
  const bytes = await readFile(scriptPath);
  return {
    scriptPath,
    rawBytes: bytes.length,
    gzipBytes: gzipSync(bytes).length,
    durationMs: Math.round(performance.now() - started),
    compatibilityDate: date,
  };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } }, strict: true });
  try {
    const build = await buildWorker({ outDir: values.outdir });
    process.stdout.write(
      `worker bundle: ${path.relative(process.cwd(), build.scriptPath)}\n` +
        `size: ${kib(build.rawBytes)} raw, ${kib(build.gzipBytes)} gzip\n` +
        `built in ${(build.durationMs / 1000).toFixed(1)} s (no Node-only modules)\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`build:worker: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
