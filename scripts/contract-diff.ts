import { runContractDiff } from '../src/contract-diff/cli.js';

process.exitCode = runContractDiff(process.argv.slice(2), {
  cwd: process.cwd(),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
