#!/usr/bin/env node
// The `zpe-gateway` bin. In a development checkout (tsx installed, src/ present) it runs the
// TypeScript CLI from src/, so it never runs a stale build; after a production install
// (`npm ci --omit=dev`, no tsx) it runs the compiled CLI from dist/ (`npm run build`).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

function tsxInstalled() {
  try {
    createRequire(import.meta.url).resolve('tsx/esm/api');
    return true;
  } catch {
    return false;
  }
}

if (existsSync(source) && tsxInstalled()) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write('zpe-gateway: no compiled CLI at dist/cli/main.js: run `npm run build` first\n');
  process.exitCode = 2;
}
