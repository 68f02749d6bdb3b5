'use strict';
// `shardwright plan`: the shard plan of the suite, as a table or JSON.

const { FLAGS, FLAGS_HELP, planSuite } = require('./suite.js');
const { formatShardPlan } = require('../api/shard.js');
const path = require('node:path');
const { noPositionals, usageError } = require('./flags.js');
const { writeAtomic } = require('../api/record.js');

const summary = 'preview how the suite splits over shards (expected time per shard)';

const usage = `Usage: shardwright plan --shards N [options]

Plans the suite (from \`playwright test --list --reporter=json\`) over N
shards and prints each shard's expected time and test count, and the
imbalance (makespan ÷ lower bound).

Options:
${FLAGS_HELP}
  --json                print the plan as JSON
  --out FILE            also write the plan as a plan file: give it to every
                        shard (reporter option \`plan\` or SHARDWRIGHT_PLAN=FILE)
                        and each runs its share of this plan, whatever its
                        own history says`;

const options = { ...FLAGS, json: { type: 'boolean' }, out: { type: 'string' } };

async function run(values, positionals, io) {
  noPositionals(positionals, 'plan');
  if (values.out !== undefined && values.out.trim() === '') throw usageError(`invalid --out: ${JSON.stringify(values.out)} (a file path)`);
  const { plan, planFile } = await planSuite(values);
  if (values.out !== undefined) {
    writeAtomic(path.resolve(values.out), `${planFile}\n`);
    io.stderr.write(`shardwright: plan ${plan.fingerprint.slice(0, 12)} written to ${values.out}: give it to every shard (SHARDWRIGHT_PLAN=${values.out})\n`);
  }
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
