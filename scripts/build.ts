/**
 * npm run build [-- --outdir DIR]
 *
 * Compiles src/ to JavaScript in dist/ (one .js file per .ts file, same layout, ES modules for
 * Node 20) and copies what the code reads at run time next to it (the Lua scripts), so that
 * `node dist/runtime/node/main.js` and `node dist/cli/main.js` run without tsx or any other
 * development dependency. Types are checked by `npm run typecheck`, not here: esbuild only strips
 * them, which keeps the build to about a second.
 *
 * dist/ must sit one level below the package root (as src/ does): the code finds
 * routes/retirement.json and node_modules relative to itself. dist/worker (npm run build:worker)
 * is left alone.
 */
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = path.join(ROOT, 'src');
/** Files the code opens at run time, copied as they are. */
const ASSETS = /\.lua$/;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Builds src/ into `outDir` (default ROOT/dist); answers the number of modules and assets written. */
export async function buildNode(outDir = path.join(ROOT, 'dist')): Promise<{ modules: number; assets: number }> {
  const files = await filesUnder(SOURCE);
  const modules = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  const assets = files.filter((f) => ASSETS.test(f));
  // Only what a previous build of src/ wrote: dist/worker belongs to build:worker.
  const tops = new Set(files.map((f) => path.relative(SOURCE, f).split(path.sep)[0] ?? ''));
  for (const top of tops) await rm(path.join(outDir, top.replace(/\.ts$/, '.js')), { recursive: true, force: true });

  await build({
    entryPoints: modules,
    outdir: outDir,
    outbase: SOURCE,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20.10',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  for (const asset of assets) {
    const target = path.join(outDir, path.relative(SOURCE, asset));
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(asset, target);
  }
  return { modules: modules.length, assets: assets.length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
  const outDir = values.outdir ? path.resolve(values.outdir) : undefined;
  const started = performance.now();
  const { modules, assets } = await buildNode(outDir);
  const where = path.relative(process.cwd(), outDir ?? path.join(ROOT, 'dist')) || '.';
  process.stdout.write(
    `built ${modules} modules and ${assets} assets into ${where} in ${Math.round(performance.now() - started)} ms\n`,
  );
}
