'use strict';
// A small, browserless Playwright project for the `shardwright run` tests:
// a web server on a FIXED port (`reuseExistingServer: false`, as many
// projects run on CI), tests that call it through the `request` fixture and
// append their title to ran.log (each test that runs leaves exactly one
// line), a server that appends to starts.log each time it starts. Options
// add a globalSetup, reporters, a server that cannot start, slow tests.

const fs = require('node:fs');
const path = require('node:path');
const { ROOT, tempDir } = require('./helpers.js');

/**
 * Writes the project; resolves its folder. `files` × `tests` tests; each
 * waits `waitMs` (file i waits i × `stepMs` more: unequal files).
 */
function writeFixture({ port, files = 6, tests = 4, waitMs = 50, stepMs = 0, reporter, serverFails = false, globalSetupPort, retries = 0, fail = [] } = {}) {
  const dir = tempDir('shardwright-run-fixture-');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(dir, 'tests'));
  const config = {
    testDir: './tests',
    retries,
    reporter: reporter || [['list']],
    use: { baseURL: `http://127.0.0.1:${port}` },
    webServer: {
      command: 'node server.js',
      url: `http://127.0.0.1:${port}/`,
      reuseExistingServer: false,
      timeout: 20_000,
    },
  };
  const setup = globalSetupPort ? `globalSetup: require.resolve('./global-setup.js'),` : '';
  fs.writeFileSync(
    path.join(dir, 'playwright.config.js'),
    `const { defineConfig } = require('@playwright/test');
module.exports = defineConfig({ ...${JSON.stringify(config)}, ${setup} });
`,
  );
  fs.writeFileSync(
    path.join(dir, 'server.js'),
    `const http = require('node:http');
const fs = require('node:fs');
fs.appendFileSync(${JSON.stringify(path.join(dir, 'starts.log'))}, process.pid + '\\n');
${serverFails ? "console.error('server.js: cannot open the database (simulated)'); process.exit(3);" : ''}
http.createServer((req, res) => res.end('ok ' + req.url)).listen(${port}, '127.0.0.1', () => console.log('listening on ${port}'));
`,
  );
  if (globalSetupPort) {
    // A dev server started inside globalSetup, on a fixed port, stopped by its teardown.
    fs.writeFileSync(
      path.join(dir, 'global-setup.js'),
      `const net = require('node:net');
module.exports = async () => {
  const server = net.createServer((s) => s.end());
  await new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error('Port ${globalSetupPort} not available (' + e.code + ')')));
    server.listen(${globalSetupPort}, '127.0.0.1', resolve);
  });
  return () => new Promise((r) => server.close(r));
};
`,
    );
  }
  for (let f = 0; f < files; f++) {
    const body = Array.from({ length: tests }, (_, t) => {
      const title = `f${f} t${t}`;
      const failing = fail.includes(title) ? `\n  expect(${JSON.stringify(`broken ${title}`)}).toBe('working');` : '';
      return `test(${JSON.stringify(title)}, async ({ request }) => {
  const res = await request.get('/${title.replace(' ', '-')}');
  expect(res.status()).toBe(200);
  await new Promise((r) => setTimeout(r, ${waitMs + f * stepMs}));
  fs.appendFileSync(${JSON.stringify(path.join(dir, 'ran.log'))}, ${JSON.stringify(title)} + '\\n');${failing}
});`;
    }).join('\n');
    fs.writeFileSync(
      path.join(dir, 'tests', `f${f}.spec.js`),
      `const fs = require('node:fs');\nconst { test, expect } = require('@playwright/test');\n${body}\n`,
    );
  }
  return dir;
}

/** Lines of a log file of the fixture (empty when absent). */
function logLines(dir, name) {
  const file = path.join(dir, name);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** Every title the fixture has. */
function allTitles(files, tests) {
  const out = [];
  for (let f = 0; f < files; f++) for (let t = 0; t < tests; t++) out.push(`f${f} t${t}`);
  return out.sort();
}

module.exports = { writeFixture, logLines, allTitles };
