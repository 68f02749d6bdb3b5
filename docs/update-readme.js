#!/usr/bin/env node
'use strict';
// Regenerates the generated parts of README.md from the engine (the
// configuration table from the Rust defaults). __tests__/config.test.js fails
// when README.md and the engine drift apart.
const fs = require('node:fs');
const path = require('node:path');
const { configTable } = require('../js/api/config.js');

const file = path.join(__dirname, '..', 'README.md');
const readme = fs.readFileSync(file, 'utf8');
const re = /<!-- config-table:start -->[\s\S]*?<!-- config-table:end -->/;
if (!re.test(readme)) throw new Error('README.md has no <!-- config-table:start/end --> markers');
fs.writeFileSync(file, readme.replace(re, `<!-- config-table:start -->\n${configTable()}\n<!-- config-table:end -->`));
console.log('README.md: configuration table updated');
