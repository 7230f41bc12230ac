#!/usr/bin/env node
// The `zpe-gateway` bin: runs the TypeScript CLI (src/cli/main.ts) through tsx, a runtime dependency.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
