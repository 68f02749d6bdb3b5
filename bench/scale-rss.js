'use strict';
// Preloaded (`node --require bench/scale-rss.js …`) into a process that
// bench/scale.js measures from outside: writes its peak RSS to fd 3 as it
// exits, and its CPU time.
const fs = require('node:fs');

process.on('exit', () => {
  try {
    fs.writeSync(3, JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000 }));
  } catch {}
});
