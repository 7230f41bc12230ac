import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Inside the repository, so the compiled files find node_modules as the sources do. */
const OUT = join(ROOT, 'bench/.build');

function files(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix) && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/**
 * The gateway and the reference servers as plain JavaScript, as production runs: each TypeScript file
 * compiled on its own (not bundled: the Lua scripts and the manifest are found next to the code),
 * with the files the code reads at run time copied beside it. A prebuilt gateway can be given instead
 * with BENCH_GATEWAY_ENTRY (e.g. `dist/runtime/node/main.js` from `npm run build`).
 */
export function compiled(): Promise<Compiled> {
  built ??= compile();
  return built;
}

interface Compiled {
  gateway: string;
  server: (name: string) => string;
}

let built: Promise<Compiled> | undefined;

async function compile(): Promise<Compiled> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const entryPoints = [...files(join(ROOT, 'src'), '.ts'), ...files(join(ROOT, 'bench/servers'), '.ts')];
  await build({
    entryPoints,
    outdir: OUT,
    outbase: ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    // Keeps `with { type: 'json' }` (routes/retirement.json), which Node 20 needs.
    supported: { 'import-attributes': true },
    logLevel: 'warning',
  });
  for (const lua of files(join(ROOT, 'src'), '.lua')) cpSync(lua, join(OUT, relative(ROOT, lua)));
  cpSync(join(ROOT, 'routes'), join(OUT, 'routes'), { recursive: true });
  const given = process.env.BENCH_GATEWAY_ENTRY;
  const gateway = given ? join(ROOT, given) : join(OUT, 'src/runtime/node/main.js');
  if (!existsSync(gateway)) throw new Error(`no compiled gateway at ${gateway}`);
  return { gateway, server: (name) => join(OUT, 'bench/servers', `${name}.js`) };
}
