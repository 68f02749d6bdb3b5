'use strict';
// `npm run bench`: every benchmark, each comparing shardwright with the peer
// named in its issue, in the same run. Prints Markdown tables.

const os = require('node:os');

const suites = [
  ['retry', require('./retry.js')],
  ['shard', require('./shard.js')],
  ['predict', require('./predict.js')],
  ['pool', require('./pool.js')],
  ['history', require('./history.js')],
  ['flaky-eval', require('./flaky-eval.js')],
  ['queue', require('./queue.js')],
  ['scale', require('./scale.js')],
  ['html', require('./html.js')],
  ['run', require('./run.js')],
];

async function main() {
  const only = process.argv.slice(2);
  console.log(
    `# shardwright benchmarks\n\n${os.cpus().length} × ${os.cpus()[0].model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const [name, suite] of suites) {
    if (only.length && !only.includes(name)) continue;
    await suite.main();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
