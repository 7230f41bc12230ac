import { parseArgs } from 'node:util';
import { ManifestError } from '../lifecycle/manifest.js';
import { audit, schema } from './audit.js';
import { close, deprecate } from './change.js';
import { type RetireIo, settingsOf, UsageError } from './settings.js';
import { status } from './status.js';

export type { RetireIo };

export const RETIRE_USAGE = `usage: zpe-gateway retire COMMAND [options]

commands:
  status                          the checklist: items, state, gates, operations, lifecycle, callers
  close ITEM --reason TEXT        close ITEM when its gates are met, then regenerate openapi/
        [--force]                 close it anyway; recorded in the manifest as forced
  deprecate ITEM --successor URL --sunset DATE
                                  deprecate ITEM's operations (their replacement is live): record the
                                  published successor page and the dates, then regenerate openapi/
        [--successor OP=URL]      one operation's successor (repeatable; a plain URL is every operation's)
        [--date DATE]             the deprecation date; defaults to today
  audit                           the plan's Redis dependency audit over the items' modules
  schema [--check]                write (or check) routes/retirement.schema.json

options:
  --manifest PATH   the manifest (default: ROOT/routes/retirement.json)
  --root DIR        the repository: openapi/ and modules live there (default: this package)
  --today DATE      the date gates compare against, YYYY-MM-DD (default: today, UTC)
  --json            machine-readable output (status, audit)

environment:
  ZPE_REDIS_URL           where the gateways count callers (default redis://localhost:6379/0)
  ZPE_RETIRE_QUIET_DAYS   days without callers that closing an item needs (default 7, at most 30)

exit status: 0 done, 1 refused (gates not met, audit fails, drift), 2 usage or manifest error`;

/** `zpe-gateway retire ...` as a function: answers the exit status, so tests drive it in-process. */
export async function runRetire(argv: readonly string[], io: RetireIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        manifest: { type: 'string' },
        root: { type: 'string' },
        today: { type: 'string' },
        reason: { type: 'string' },
        force: { type: 'boolean' },
        sunset: { type: 'string' },
        successor: { type: 'string', multiple: true },
        date: { type: 'string' },
        json: { type: 'boolean' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [command, itemId, ...extra] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.out(`${RETIRE_USAGE}\n`);
      return command === undefined && !values.help ? 2 : 0;
    }
    const settings = settingsOf(values, io);
    const needsItem = command === 'close' || command === 'deprecate';
    if (needsItem && itemId === undefined) throw new UsageError(`${command} needs an ITEM`);
    const unexpected = needsItem ? extra : [itemId, ...extra].filter((p) => p !== undefined);
    if (unexpected.length > 0) throw new UsageError(`unexpected argument '${unexpected[0]}'`);
    switch (command) {
      case 'status':
        return await status(settings, io);
      case 'close':
        return await close(settings, io, itemId ?? '', { reason: values.reason, force: values.force === true });
      case 'deprecate':
        return await deprecate(settings, io, itemId ?? '', {
          sunset: values.sunset,
          date: values.date,
          force: values.force === true,
          successors: values.successor ?? [],
        });
      case 'audit':
        return audit(settings, io);
      case 'schema':
        return schema(settings, io, values.check === true);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof ManifestError) {
      io.err(`zpe-gateway retire: the manifest is not valid:\n${error.message}\n`);
      return 2;
    }
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      io.err(`zpe-gateway retire: ${error.message}\n\n${RETIRE_USAGE}\n`);
      return 2;
    }
    throw error;
  }
}
