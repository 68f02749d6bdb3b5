'use strict';
// The host process (Node, a Playwright worker) never dies because of us:
// every exotic value thrown, returned or aborted with, and every callback
// that throws or rejects, ends as an ordinary failure or an `error` event.
// Each case runs in its own Node process with no handler of its own, as a
// user's process would (fixtures/survive.js), and must exit 0 with every
// probe passing.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { THROWN, RETURNED } = require('../fixtures/exotic.js');
const { run } = require('../helpers.js');

const SURVIVE = path.join(__dirname, '..', 'fixtures', 'survive.js');

const cases = [...Object.keys(THROWN).map((name) => ['thrown', name]), ...Object.keys(RETURNED).map((name) => ['returned', name])];

for (const [kind, name] of cases) {
  test(`${kind}: ${name} — Node lives and every probe ends as a failure or an event`, async () => {
    const { code, signal, stdout, stderr } = await run(process.execPath, [SURVIVE, kind, name], { timeoutMs: 60_000 });
    const failed = stdout.split('\n').filter((l) => l.startsWith('FAIL '));
    assert.deepEqual(failed, [], stdout);
    assert.equal(signal, null, `killed by ${signal}\n${stderr.slice(0, 2000)}`);
    assert.equal(code, 0, `exit code ${code}\n${stdout}\n${stderr.slice(0, 2000)}`);
    assert.match(stdout, /\ndone\n$/);
    assert.ok(stdout.split('\n').filter((l) => l.startsWith('ok ')).length === 18, stdout);
  });
}
