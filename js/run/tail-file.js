'use strict';
// Reading a file as another process appends lines to it (a batch's event
// stream, js/run/batch-reporter.js): each read returns the complete lines
// added since the last one.

const fs = require('node:fs');

/** The complete lines appended to a file since the last read. */
class Tail {
  constructor(file) {
    this.file = file;
    this.offset = 0;
    this.rest = Buffer.alloc(0);
  }

  read() {
    let fd;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return '';
    }
    try {
      const chunks = [this.rest];
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
        if (!n) break;
        this.offset += n;
        chunks.push(Buffer.from(buf.subarray(0, n)));
      }
      const all = Buffer.concat(chunks);
      const cut = all.lastIndexOf(0x0a) + 1;
      this.rest = all.subarray(cut);
      return all.subarray(0, cut).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  }
}

module.exports = { Tail };
