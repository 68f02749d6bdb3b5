'use strict';
// `shardwright shard`: one shard's tests as a Playwright `--test-list` file,
// for runs without the shardwright reporter:
//   npx shardwright shard --index 2 --shards 4 > shard.txt
//   npx playwright test --test-list shard.txt

const { FLAGS, FLAGS_HELP, planOptions, whole, loadSuite } = require('../shard-input.js');
const { selectShard } = require('../shard.js');

const summary = "write one shard's tests as a Playwright --test-list file";

const usage = `Usage: shardwright shard --index I --shards N [options] > tests.txt

Plans the suite over N shards and writes shard I's tests as a Playwright
\`--test-list\` file (\`npx playwright test --test-list tests.txt\`), paths
relative to the config's rootDir. Lines starting with # are comments.

Options:
  --index, -i I         which shard, 1 to N (required)
${FLAGS_HELP}`;

const options = { ...FLAGS, index: { type: 'string', short: 'i' } };

function fail(message, code = 'ERR_SHARDWRIGHT_PLAN') {
  return Object.assign(new Error(message), { code });
}

/**
 * Lines Playwright would read back as exactly these tests. Its parser
 * splits on `›` (or `>` when a line has no `›`), trims each part, and
 * selects every test whose title path starts with the line's: so a title
 * holding `›`, or with spaces at either end, cannot be written, and a line
 * that is a prefix of an unselected test's path would select it too.
 */
function testListLines(keys, tests) {
  const selected = new Set(keys);
  const problems = [];
  const lines = [];
  // Title paths per project and file, to find prefix clashes.
  const byFile = new Map();
  for (const [key, t] of tests) {
    const k = `${t.project}\u0000${t.rootFile}`;
    if (!byFile.has(k)) byFile.set(k, []);
    byFile.get(k).push([key, t.titlePath]);
  }
  for (const key of keys) {
    const t = tests.get(key);
    if (!t) {
      problems.push(`${key}: not in the suite`);
      continue;
    }
    const bad = [t.rootFile, ...t.titlePath].find((p) => p.includes('›') || p !== p.trim() || p === '');
    if (bad !== undefined) {
      problems.push(`${key}: ${JSON.stringify(bad)} cannot be written to a --test-list line (contains › or leading/trailing spaces)`);
      continue;
    }
    const clash = byFile.get(`${t.project}\u0000${t.rootFile}`).find(([other, path]) =>
      !selected.has(other) && path.length > t.titlePath.length && t.titlePath.every((title, i) => path[i] === title));
    if (clash) {
      problems.push(`${key}: its line would also select ${clash[0]} (on another shard)`);
      continue;
    }
    lines.push(t.listLine);
  }
  if (problems.length) throw fail(`cannot write this shard as a --test-list file:\n  ${problems.join('\n  ')}`);
  return lines;
}

async function run(values, positionals, io) {
  if (positionals.length) throw fail(`unexpected argument ${JSON.stringify(positionals[0])}`, 'ERR_SHARDWRIGHT_CONFIG');
  const opts = planOptions(values);
  const index = whole('--index', values.index, 1, opts.shards);
  const suite = await loadSuite(values, io);
  const { tests, plan } = selectShard(suite.groups, { ...opts, index });
  if (plan.balancedBy === 'count') io.stderr.write('shardwright: no history: balancing by test count\n');
  const lines = testListLines(tests, suite.tests);
  const shard = plan.shards[index - 1];
  const header = [
    `# shardwright shard ${index}/${opts.shards}: ${shard.testCount} tests, strategy ${plan.strategy}, balanced by ${plan.balancedBy}`,
    `# fingerprint ${plan.fingerprint}`,
  ];
  io.stdout.write(`${[...header, ...lines].join('\n')}\n`);
  return 0;
}

module.exports = { summary, usage, options, run, testListLines };
