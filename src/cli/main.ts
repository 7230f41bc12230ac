import { runRetire } from './retire.js';
import { runRollout } from './rollout.js';

const USAGE =
  'usage: zpe-gateway retire COMMAND [options]    (zpe-gateway retire --help for the commands)\n' +
  '       zpe-gateway rollout COMMAND [options]   (zpe-gateway rollout --help for the commands)\n';

/** `npx zpe-gateway ...`: the operator's commands. */
async function main(argv: string[]): Promise<number> {
  const [group, ...rest] = argv;
  if (group === 'retire') {
    return runRetire(rest, {
      cwd: process.cwd(),
      env: process.env,
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
  }
  if (group === 'rollout') {
    return runRollout(rest, {
      env: process.env,
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
  }
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    process.stdout.write(USAGE);
    return group === undefined ? 2 : 0;
  }
  process.stderr.write(`zpe-gateway: unknown command '${group}'\n${USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
