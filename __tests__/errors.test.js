'use strict';
// The error codes: one table (src/error.rs, ErrorKind::ALL), seen the same
// from JS (ERROR_CODES), documented in docs/errors.md (generated from the
// engine's own cause and fix per kind), every code with both.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const native = require('../js/native.js');
const { ERROR_CODES } = require('../js/index.js');
const { errorsMarkdown, FILE } = require('../docs/update-errors.js');

test('docs/errors.md is generated from the engine: run `node docs/update-errors.js` after changing src/error.rs', () => {
  assert.equal(fs.readFileSync(FILE, 'utf8'), errorsMarkdown());
});

test('every code of ERROR_CODES is documented with a cause and a fix', () => {
  const docs = native.__errorDocs();
  assert.deepEqual(Object.fromEntries(docs.map((d) => [d.kind, d.code])), { ...ERROR_CODES });
  for (const d of docs) {
    assert.match(d.code, /^ERR_SHARDWRIGHT_[A-Z]+$/);
    for (const field of ['summary', 'cause', 'fix']) assert.ok(d[field].length > 10, `${d.code}.${field}`);
    assert.ok(fs.readFileSync(FILE, 'utf8').includes(`## ${d.code}`));
  }
  assert.equal(ERROR_CODES.callback, 'ERR_SHARDWRIGHT_CALLBACK');
});
