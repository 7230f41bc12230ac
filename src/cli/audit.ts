import { auditRedis } from '../lifecycle/audit.js';
import { manifestJsonSchema } from '../lifecycle/manifest.js';
import type { RetireIo, Settings } from './settings.js';

export function audit(settings: Settings, io: RetireIo): number {
  const { manifest } = settings.ws.load();
  const report = auditRedis(manifest, settings.ws.read);
  if (settings.json) {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  }
  const lines = [`Redis dependency audit (${settings.ws.manifestName}): modules of each item that reference /redis/i`];
  for (const item of report.items) {
    const failing = new Set(item.failures.map((f) => f.path));
    lines.push(`${item.state.padEnd(6)}  ${item.id}${item.references.length === 0 ? ': none' : ''}`);
    for (const ref of item.references) {
      const mark = failing.has(ref.path)
        ? 'FAIL'
        : item.state === 'closed'
          ? 'exempt (the open exception still needs it)'
          : 'open';
      lines.push(`        ${ref.path}:${ref.lines.join(',')}  ${mark}`);
    }
  }
  const failures = report.items.flatMap((i) => i.failures);
  lines.push(
    report.ok
      ? 'audit passes: no closed item has a module that still references Redis'
      : `audit fails: ${failures.length} module(s) of closed items still reference Redis`,
  );
  if (report.ok) io.out(`${lines.join('\n')}\n`);
  else io.err(`${lines.join('\n')}\n`);
  return report.ok ? 0 : 1;
}

export const SCHEMA_PATH = 'routes/retirement.schema.json';

export function schema(settings: Settings, io: RetireIo, check: boolean): number {
  const text = `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
  if (check) {
    const ok = settings.ws.read(SCHEMA_PATH) === text;
    if (ok) io.out(`${SCHEMA_PATH} is up to date\n`);
    else io.err(`${SCHEMA_PATH} differs from src/lifecycle/manifest.ts: run \`npm run retire -- schema\`\n`);
    return ok ? 0 : 1;
  }
  settings.ws.write(SCHEMA_PATH, text);
  io.out(`wrote ${SCHEMA_PATH}\n`);
  return 0;
}
