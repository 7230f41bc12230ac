import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Which build runs: the package version, found by walking up to package.json (from src/ or a build directory). */
export function buildInfo(): { version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'zpe-gateway') return { version: pkg.version ?? 'unknown' };
    }
    dir = dirname(dir);
  }
  return { version: 'unknown' };
}
