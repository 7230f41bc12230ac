import { leaseThroughput } from './lease-throughput.js';
import { type Benchmark, printTable } from './lib/benchmark.js';
import { proxyOverhead } from './proxy-overhead.js';

/**
 * `npm run bench`: every benchmark in turn, each against its own private servers. A new benchmark is
 * a file exporting a Benchmark, added to this list.
 */
const BENCHMARKS: Benchmark[] = [leaseThroughput, proxyOverhead];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  for (const benchmark of BENCHMARKS) {
    if (only.length > 0 && !only.some((word) => benchmark.name.toLowerCase().includes(word.toLowerCase()))) continue;
    const rows = await benchmark.run();
    printTable(benchmark.name, benchmark.description, rows);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
