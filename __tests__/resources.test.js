'use strict';
// Worker counts follow the container's real limits: a real cgroup (v2, or v1
// where the machine has it) with a CPU quota and a memory limit, created by
// this test, with a Node process moved into it.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { run, ROOT } = require('./helpers.js');
const sw = require('../js/index.js');

const CPU_QUOTA = 1.5; // CPUs
const MEMORY_LIMIT_MB = 768;
const OPTIONS = { cpusPerWorker: 0.5, memoryPerWorkerMb: 200, considerLoad: false, maxWorkers: 1024 };

/** Creates a cgroup with the limits; returns { enter, cleanup } or { skip: reason }. */
function makeCgroup() {
  const name = `shardwright-test-${process.pid}-${Date.now()}`;
  const write = (file, text) => fs.writeFileSync(file, text);
  try {
    if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      // cgroup v2: enable the controllers for children, then limit a child.
      const controllers = fs.readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8');
      if (!/\bcpu\b/.test(controllers) || !/\bmemory\b/.test(controllers)) return { skip: 'cgroup v2 without cpu and memory controllers' };
      write('/sys/fs/cgroup/cgroup.subtree_control', '+cpu +memory');
      const dir = path.join('/sys/fs/cgroup', name);
      fs.mkdirSync(dir);
      write(path.join(dir, 'cpu.max'), `${CPU_QUOTA * 100000} 100000`);
      write(path.join(dir, 'memory.max'), String(MEMORY_LIMIT_MB * 1024 * 1024));
      return { version: 2, enter: `echo $$ > ${dir}/cgroup.procs`, cleanup: () => fs.rmdirSync(dir) };
    }
    const cpuRoot = '/sys/fs/cgroup/cpu';
    const memRoot = '/sys/fs/cgroup/memory';
    if (!fs.existsSync(path.join(cpuRoot, 'cpu.cfs_quota_us')) || !fs.existsSync(path.join(memRoot, 'memory.limit_in_bytes'))) {
      return { skip: 'no writable cgroup v2 or v1 cpu/memory hierarchy' };
    }
    const cpu = path.join(cpuRoot, name);
    const mem = path.join(memRoot, name);
    fs.mkdirSync(cpu);
    fs.mkdirSync(mem);
    write(path.join(cpu, 'cpu.cfs_period_us'), '100000');
    write(path.join(cpu, 'cpu.cfs_quota_us'), String(CPU_QUOTA * 100000));
    write(path.join(mem, 'memory.limit_in_bytes'), String(MEMORY_LIMIT_MB * 1024 * 1024));
    return {
      version: 1,
      enter: `echo $$ > ${cpu}/cgroup.procs && echo $$ > ${mem}/cgroup.procs`,
      cleanup: () => {
        fs.rmdirSync(cpu);
        fs.rmdirSync(mem);
      },
    };
  } catch (err) {
    return { skip: `the kernel or sandbox forbids creating a cgroup here (${err.code || err.message})` };
  }
}

const script = `const sw = require(${JSON.stringify(path.join(ROOT, 'js/index.js'))});
console.log(JSON.stringify(sw.explainWorkers(${JSON.stringify(OPTIONS)})));`;

test('inside a cgroup with a CPU quota and a memory limit, the worker count follows the limits', async (t) => {
  const cg = makeCgroup();
  if (cg.skip) {
    console.log(`# skipped: ${cg.skip}`);
    t.skip(cg.skip);
    return;
  }
  try {
    const inside = await run('sh', ['-c', `${cg.enter} && exec "${process.execPath}" -e '${script}'`]);
    assert.equal(inside.code, 0, inside.stderr);
    const limited = JSON.parse(inside.stdout);
    const outside = sw.explainWorkers(OPTIONS);

    assert.equal(limited.inputs.cgroupCpuQuota, CPU_QUOTA, `cgroup v${cg.version} CPU quota read`);
    assert.equal(limited.inputs.cgroupMemoryLimitMb, MEMORY_LIMIT_MB, `cgroup v${cg.version} memory limit read`);
    assert.equal(limited.effectiveCpus, Math.min(CPU_QUOTA, outside.effectiveCpus));
    assert.equal(limited.byCpu, Math.floor(Math.min(CPU_QUOTA, outside.effectiveCpus) / OPTIONS.cpusPerWorker));
    // The memory headroom is the limit minus what the cgroup already uses (this Node process).
    assert.ok(limited.availableMemoryMb <= MEMORY_LIMIT_MB && limited.availableMemoryMb > MEMORY_LIMIT_MB - 200, `${limited.availableMemoryMb} MiB`);
    assert.equal(limited.byMemory, Math.floor(limited.availableMemoryMb / OPTIONS.memoryPerWorkerMb));
    assert.ok(limited.workers <= 3, `workers ${limited.workers} inside the cgroup`);

    // Outside, the host's numbers give more workers: the count followed the limit.
    assert.ok(outside.byMemory > limited.byMemory * 5, `host memory allows ${outside.byMemory}`);
    assert.equal(outside.inputs.cgroupMemoryLimitMb ?? null, null);
    if (outside.effectiveCpus > CPU_QUOTA) assert.ok(outside.byCpu > limited.byCpu);
  } finally {
    cg.cleanup();
  }
});

test('explainWorkers reports its inputs and the limit that set the count', () => {
  const e = sw.explainWorkers({ memoryPerWorkerMb: 1e6, considerLoad: false });
  assert.equal(e.byMemory, 0);
  assert.equal(e.workers, 1);
  assert.equal(e.limitedBy, 'minWorkers');
  const fixed = sw.explainWorkers({ workers: 3 });
  assert.deepEqual([fixed.workers, fixed.limitedBy], [3, 'workers']);
  const capped = sw.explainWorkers({ cpusPerWorker: 0.01, memoryPerWorkerMb: 1, considerLoad: false, maxWorkers: 5 });
  assert.deepEqual([capped.workers, capped.limitedBy], [5, 'maxWorkers']);
  assert.ok(e.inputs.hostCpus >= 1 && e.inputs.hostTotalMemoryMb > 0);
  assert.equal(sw.recommendWorkers({ workers: 3 }), 3);
});

test('a resource snapshot covers this process tree', async () => {
  const child = require('node:child_process').spawn(process.execPath, ['-e', 'const b = Buffer.alloc(64 * 1024 * 1024, 1); setTimeout(() => {}, 5000)']);
  try {
    await new Promise((r) => setTimeout(r, 400));
    const s = await sw.resourceSnapshot({ intervalMs: 200 });
    assert.ok(s.cpuPercent >= 0 && s.cpuPercent <= 100);
    assert.ok(s.totalMemoryMb > s.availableMemoryMb && s.availableMemoryMb > 0);
    assert.equal(s.loadAverage.length, 3);
    const me = s.processes.find((p) => p.pid === process.pid);
    const kid = s.processes.find((p) => p.pid === child.pid);
    assert.ok(me && me.rssMb > 10, 'this process is listed with its RSS');
    assert.ok(kid && kid.parentPid === process.pid && kid.rssMb > 60, `the child is listed with ~64 MiB RSS: ${JSON.stringify(kid)}`);
    assert.ok(Math.abs(s.treeRssMb - s.processes.reduce((a, p) => a + p.rssMb, 0)) < 1e-6);
  } finally {
    child.kill();
  }
});
