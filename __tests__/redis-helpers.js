'use strict';
// A real redis-server for the queue-mode tests: Debian's package, on
// 127.0.0.1 and a free port, no persistence; stopped by the test.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { freePort, tempDir } = require('./helpers.js');

function ping(port, { tls = false } = {}) {
  return new Promise((resolve) => {
    if (tls) return resolve(true);
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.end();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/**
 * Starts redis-server. Options: password, tls (generates a CA and a server
 * certificate with openssl). Resolves { port, url, stop(), ca? }.
 */
async function startRedis({ password, tls = false, port: fixedPort } = {}) {
  const port = fixedPort || (await freePort());
  const dir = tempDir('shardwright-redis-');
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  let ca;
  if (tls) {
    const run = (a) => execFileSync('openssl', a, { cwd: dir, stdio: 'ignore' });
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=shardwright test CA']);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    run([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ]);
    ca = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    args.push(
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      'server.crt',
      '--tls-key-file',
      'server.key',
      '--tls-ca-cert-file',
      'ca.crt',
      '--tls-auth-clients',
      'no',
    );
  } else {
    args.push('--port', String(port));
  }
  if (password) args.push('--requirepass', password);
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const started = Date.now();
  while (!/Ready to accept connections/.test(log)) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${log}`);
    if (Date.now() - started > 10_000) throw new Error(`redis-server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await ping(port, { tls });
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  return {
    port,
    ca,
    child,
    url: `${tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}/0`,
    log: () => log,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

module.exports = { startRedis };
