'use strict';
// How `shardwright run` talks: a progress line on a TTY, plain lines
// otherwise, and the small text helpers of its messages.

const path = require('node:path');

function plural(n, word, many = `${word}s`) {
  return `${n} ${n === 1 ? word : many}`;
}

/** A path relative to the working directory when inside it, else absolute. */
function shown(p) {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** The last lines of a process's output, for a crash message. */
function tail(text, lines = 6) {
  const all = String(text || '')
    .replace(/\u001b\[[0-9;]*m/g, '')
    .trim()
    .split('\n');
  return all.slice(-lines).join('\n    ');
}

class Progress {
  constructor(out) {
    this.out = out;
    this.tty = Boolean(out.isTTY);
    this.line = '';
    this.text = '';
  }

  say(text) {
    if (this.tty && this.line) this.out.write('\r\u001b[2K');
    this.out.write(`shardwright: ${text}\n`);
    if (this.tty && this.line) this.out.write(this.line);
  }

  show(text) {
    this.text = text;
    if (!this.tty) return;
    const width = this.out.columns || 120;
    this.line = `shardwright: ${text}`.slice(0, width - 1);
    this.out.write(`\r\u001b[2K${this.line}`);
  }

  clear() {
    if (this.tty && this.line) this.out.write('\r\u001b[2K');
    this.line = '';
  }
}

module.exports = { Progress, plural, shown, tail };
