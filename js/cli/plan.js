'use strict';
// `shardwright plan`: the shard plan of the suite, as a table or JSON.

const { FLAGS, FLAGS_HELP, planSuite } = require('./suite.js');
const { formatShardPlan } = require('../api/shard.js');
const { noPositionals } = require('./flags.js');

const summary = 'preview how the suite splits over shards (expected time per shard)';

const usage = `Usage: shardwright plan --shards N [options]

Plans the suite (from \`playwright test --list --reporter=json\`) over N
shards and prints each shard's expected time and test count, and the
imbalance (makespan ÷ lower bound).

Options:
${FLAGS_HELP}
  --json                print the plan as JSON`;

const options = { ...FLAGS, json: { type: 'boolean' } };

async function run(values, positionals, io) {
  noPositionals(positionals, 'plan');
  const { plan } = await planSuite(values);
  if (values.json) {
    if (plan.balancedBy === 'count') io.stderr.write('shardwright: no history: balancing by test count\n');
    io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  } else {
    // The table says "no history: balancing by test count" itself.
    io.stdout.write(formatShardPlan(plan));
  }
  return 0;
}

module.exports = { summary, usage, options, run };
