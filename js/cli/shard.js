'use strict';
// `shardwright shard`: one shard's tests as a Playwright `--test-list` file,
// for runs without the shardwright reporter:
//   npx shardwright shard --index 2 --shards 4 > shard.txt
//   npx playwright test --test-list shard.txt

const { FLAGS, FLAGS_HELP, planSuite } = require('./suite.js');
const { noPositionals } = require('./flags.js');

const summary = "write one shard's tests as a Playwright --test-list file";

const usage = `Usage: shardwright shard --index I --shards N [options] > tests.txt

Plans the suite over N shards and writes shard I's tests as a Playwright
\`--test-list\` file (\`npx playwright test --test-list tests.txt\`), paths
relative to the config's rootDir. Lines starting with # are comments.

Options:
  --index, -i I         which shard, 1 to N (required)
${FLAGS_HELP}`;

const options = { ...FLAGS, index: { type: 'string', short: 'i' } };

async function run(values, positionals, io) {
  noPositionals(positionals, 'shard');
  const { plan, lines } = await planSuite(values, { shard: true });
  if (plan.balancedBy === 'count') io.stderr.write('shardwright: no history: balancing by test count\n');
  const index = Number(values.index);
  const shard = plan.shards[index - 1];
  const header = [
    `# shardwright shard ${index}/${plan.shards.length}: ${shard.testCount} tests, strategy ${plan.strategy}, balanced by ${plan.balancedBy}`,
    `# fingerprint ${plan.fingerprint}`,
  ];
  io.stdout.write(`${[...header, ...lines].join('\n')}\n`);
  return 0;
}

module.exports = { summary, usage, options, run };
