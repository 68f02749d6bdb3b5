'use strict';
// Shared by the tests: free loopback ports, temp dirs, and real
// `npx playwright test` runs of ../examples.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function tempDir(prefix = 'shardwright-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs a command to completion; resolves with its exit code and output. */
function run(cmd, args, { cwd = ROOT, env = {}, timeoutMs = 180_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // Decoded as a stream: a character split across two chunks stays whole
    // (`+=` of each Buffer would turn it into two U+FFFD).
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * `npx playwright test` in examples/ on a free port, with its JSON report in
 * a fresh temp dir. Resolves with the exit code, output and parsed report.
 */
async function runExamples({ args = [], env = {}, dir = tempDir() } = {}) {
  const reportFile = path.join(dir, 'report.json');
  const result = await run('npx', ['playwright', 'test', ...args], {
    cwd: EXAMPLES,
    env: {
      EXAMPLES_PORT: String(await freePort()),
      EXAMPLES_JSON_REPORT: reportFile,
      EXAMPLES_OUTPUT_DIR: path.join(dir, 'test-results'),
      CI: '1',
      FORCE_COLOR: '0',
      ...env,
    },
  });
  const report = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : null;
  return { ...result, report, dir };
}

/** Every test result of a Playwright JSON report, flattened. */
function reportTests(report) {
  const out = [];
  const walk = (suite, titles) => {
    for (const spec of suite.specs || []) {
      for (const t of spec.tests) {
        out.push({ title: spec.title, titlePath: [...titles, spec.title], file: spec.file, ...t });
      }
    }
    for (const child of suite.suites || []) walk(child, [...titles, child.title]);
  };
  for (const s of report.suites) walk(s, []);
  return out;
}

module.exports = { ROOT, EXAMPLES, freePort, tempDir, run, runExamples, reportTests };
