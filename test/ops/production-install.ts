/**
 * What `npm run build` and then `npm ci --omit=dev` leave on a production machine, without
 * installing anything: a temporary package root with the build (dist/), the files the build reads
 * (routes/, openapi/, bin/, package.json) and a node_modules holding only the production
 * dependencies of package-lock.json (linked from this checkout's install). No src/, no tsx, no
 * TypeScript: whatever the build imports from a development dependency fails here as it would
 * there.
 */

import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNode } from '../../scripts/build.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface LockPackage {
  dev?: boolean;
  devOptional?: boolean;
}

export interface ProductionInstall {
  root: string;
  /** The production dependencies linked into node_modules. */
  packages: string[];
  remove(): Promise<void>;
}

/** The packages `npm ci --omit=dev` installs at the top of node_modules, per package-lock.json. */
export async function productionPackages(): Promise<string[]> {
  const lock = JSON.parse(await readFile(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  return Object.entries(lock.packages)
    .filter(([where]) => where.startsWith('node_modules/') && !where.slice(13).includes('node_modules/'))
    .filter(([, pkg]) => !pkg.dev && !pkg.devOptional)
    .map(([where]) => where.slice('node_modules/'.length));
}

export async function productionInstall(): Promise<ProductionInstall> {
  const root = await mkdtemp(path.join(tmpdir(), 'zpe-production-'));
  for (const entry of ['package.json', 'package-lock.json', 'routes', 'openapi', 'bin']) {
    await cp(path.join(ROOT, entry), path.join(root, entry), { recursive: true });
  }
  await buildNode(path.join(root, 'dist'));
  const packages: string[] = [];
  for (const name of await productionPackages()) {
    const source = path.join(ROOT, 'node_modules', name);
    // Optional packages for other platforms (fsevents) are in the lock but not installed here.
    if (!existsSync(source)) continue;
    const target = path.join(root, 'node_modules', name);
    await mkdir(path.dirname(target), { recursive: true });
    await symlink(source, target, 'dir');
    packages.push(name);
  }
  return { root, packages, remove: () => rm(root, { recursive: true, force: true }) };
}
