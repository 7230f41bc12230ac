import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkArtifacts, generateArtifacts } from '../src/contract-diff/artifacts.js';

/** `write` regenerates openapi/ from src/contract; `check` fails (exit 1) when the committed files drifted. */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2];

if (mode !== 'write' && mode !== 'check') {
  process.stderr.write('usage: tsx scripts/contract.ts write|check\n');
  process.exit(2);
}

const artifacts = await generateArtifacts();

if (mode === 'write') {
  for (const { path, text } of artifacts) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  process.stdout.write(`wrote ${artifacts.map((a) => a.path).join(', ')}\n`);
} else {
  const report = checkArtifacts(artifacts, (path) => {
    try {
      return readFileSync(join(root, path), 'utf8');
    } catch {
      return undefined;
    }
  });
  if (report.ok)
    process.stdout.write(`contract artifacts are up to date (${artifacts.map((a) => a.path).join(', ')})\n`);
  else process.stderr.write(report.text);
  process.exitCode = report.ok ? 0 : 1;
}
