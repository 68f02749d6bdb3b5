'use strict';
// `shardwright plan`: the shard plan of the suite, as a table or JSON.

const { FLAGS, FLAGS_HELP, planOptions, loadSuite } = require('../shard-input.js');
const { planShards, formatShardPlan } = require('../shard.js');

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
  if (positionals.length) throw Object.assign(new Error(`unexpected argument ${JSON.stringify(positionals[0])}`), { code: 'ERR_SHARDWRIGHT_CONFIG' });
  const opts = planOptions(values);
  const suite = await loadSuite(values, io);
  const plan = planShards(suite.groups, opts);
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
