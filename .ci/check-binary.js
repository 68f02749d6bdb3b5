#!/usr/bin/env node
'use strict';
// Checks a built addon without running it: its format and architecture
// (ELF, Mach-O, PE, WebAssembly) and that it exports Node-API's entry point
// `napi_register_module_v1` (read from the ELF dynamic symbols, the Mach-O
// export trie, the PE export directory; for WebAssembly, the module's
// exports). Used by .ci/pack-all.js and the release workflow.
//
//   node .ci/check-binary.js <file> <expected: x64|arm64|wasm32>
//
// Prints one line `<file>: <format> <arch>, exports napi_register_module_v1,
// <size>` and exits 1 (naming what is wrong) otherwise.

const fs = require('node:fs');

const ENTRY = 'napi_register_module_v1';

function cstr(buf, at) {
  const end = buf.indexOf(0, at);
  return buf.toString('latin1', at, end < 0 ? buf.length : end);
}

function elf(buf) {
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('only 64-bit little-endian ELF is expected');
  const machine = buf.readUInt16LE(18);
  const arch = { 62: 'x64', 183: 'arm64' }[machine] || `e_machine ${machine}`;
  const shoff = Number(buf.readBigUInt64LE(40));
  const shentsize = buf.readUInt16LE(58);
  const shnum = buf.readUInt16LE(60);
  const sections = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    sections.push({
      type: buf.readUInt32LE(o + 4),
      offset: Number(buf.readBigUInt64LE(o + 24)),
      size: Number(buf.readBigUInt64LE(o + 32)),
      link: buf.readUInt32LE(o + 40),
      entsize: Number(buf.readBigUInt64LE(o + 56)),
    });
  }
  const exports = [];
  for (const s of sections.filter((x) => x.type === 11 /* SHT_DYNSYM */)) {
    const strtab = sections[s.link];
    for (let o = s.offset; o < s.offset + s.size; o += s.entsize) {
      const name = buf.readUInt32LE(o);
      const shndx = buf.readUInt16LE(o + 6);
      if (shndx !== 0) exports.push(cstr(buf, strtab.offset + name));
    }
  }
  return { format: 'ELF', arch, exports };
}

function uleb(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos.at++];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return result;
    shift += 7;
  }
}

function machO(buf) {
  const cputype = buf.readUInt32LE(4);
  const arch = { 16777223: 'x64', 16777228: 'arm64' }[cputype] || `cputype 0x${cputype.toString(16)}`;
  const ncmds = buf.readUInt32LE(16);
  let at = 32;
  let trie = null;
  for (let i = 0; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(at);
    const size = buf.readUInt32LE(at + 4);
    if (cmd === 0x80000022 || cmd === 0x22) trie = { off: buf.readUInt32LE(at + 40), size: buf.readUInt32LE(at + 44) }; // LC_DYLD_INFO(_ONLY)
    if (cmd === 0x80000033) trie = { off: buf.readUInt32LE(at + 8), size: buf.readUInt32LE(at + 12) }; // LC_DYLD_EXPORTS_TRIE
    at += size;
  }
  const exports = [];
  if (trie && trie.size > 0) {
    const walk = (node, prefix) => {
      const pos = { at: trie.off + node };
      const terminal = uleb(buf, pos);
      if (terminal > 0) exports.push(prefix);
      pos.at += terminal;
      const children = buf[pos.at++];
      for (let c = 0; c < children; c++) {
        const edge = cstr(buf, pos.at);
        pos.at += Buffer.byteLength(edge, 'latin1') + 1;
        walk(uleb(buf, pos), prefix + edge);
      }
    };
    walk(0, '');
  }
  // Mach-O symbols carry a leading underscore.
  return { format: 'Mach-O', arch, exports: exports.map((e) => e.replace(/^_/, '')) };
}

function pe(buf) {
  const peAt = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', peAt, peAt + 4) !== 'PE\0\0') throw new Error('no PE signature');
  const machine = buf.readUInt16LE(peAt + 4);
  const arch = { 34404: 'x64', 43620: 'arm64' }[machine] || `machine 0x${machine.toString(16)}`;
  const nsections = buf.readUInt16LE(peAt + 6);
  const optSize = buf.readUInt16LE(peAt + 20);
  const opt = peAt + 24;
  const exportRva = buf.readUInt32LE(opt + 112); // PE32+ data directory 0
  const sections = [];
  for (let i = 0; i < nsections; i++) {
    const o = opt + optSize + i * 40;
    sections.push({ va: buf.readUInt32LE(o + 12), size: buf.readUInt32LE(o + 8), raw: buf.readUInt32LE(o + 20) });
  }
  const file = (rva) => {
    const s = sections.find((x) => rva >= x.va && rva < x.va + x.size);
    if (!s) throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
    return rva - s.va + s.raw;
  };
  const exports = [];
  if (exportRva) {
    const dir = file(exportRva);
    const count = buf.readUInt32LE(dir + 24);
    const names = file(buf.readUInt32LE(dir + 32));
    for (let i = 0; i < count; i++) exports.push(cstr(buf, file(buf.readUInt32LE(names + i * 4))));
  }
  return { format: 'PE', arch, exports };
}

function wasm(buf) {
  const mod = new WebAssembly.Module(buf);
  return { format: 'WebAssembly', arch: 'wasm32', exports: WebAssembly.Module.exports(mod).map((e) => e.name) };
}

function inspect(buf) {
  if (buf.readUInt32BE(0) === 0x7f454c46) return elf(buf);
  if (buf.readUInt32LE(0) === 0xfeedfacf) return machO(buf);
  if (buf.toString('latin1', 0, 2) === 'MZ') return pe(buf);
  if (buf.readUInt32BE(0) === 0x0061736d) return wasm(buf);
  throw new Error('not an ELF, Mach-O (64-bit), PE or WebAssembly file');
}

function check(file, expectedArch) {
  const buf = fs.readFileSync(file);
  const info = inspect(buf);
  const problems = [];
  if (expectedArch && info.arch !== expectedArch) problems.push(`architecture ${info.arch}, expected ${expectedArch}`);
  if (info.format !== 'WebAssembly' && !info.exports.includes(ENTRY)) problems.push(`no exported ${ENTRY} (${info.exports.length} exports)`);
  if (info.format === 'WebAssembly' && !info.exports.some((e) => e.startsWith('napi_register_wasm_v1') || e === ENTRY)) {
    problems.push(`no Node-API registration export (${info.exports.slice(0, 8).join(', ')} …)`);
  }
  return { ...info, size: buf.length, problems };
}

module.exports = { check };

if (require.main === module) {
  const [file, expected] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node .ci/check-binary.js <file> [x64|arm64|wasm32]');
    process.exit(2);
  }
  const r = check(file, expected);
  const mb = (r.size / 1024 / 1024).toFixed(2);
  if (r.problems.length) {
    console.error(`${file}: ${r.format} ${r.arch}: ${r.problems.join('; ')}`);
    process.exit(1);
  }
  const entry = r.format === 'WebAssembly' ? 'a Node-API (emnapi) module' : `exports ${ENTRY}`;
  console.log(`${file}: ${r.format} ${r.arch}, ${entry}, ${mb} MiB`);
}
