// Writes dist/index.mjs: the ESM entry re-exports the CommonJS build's names,
// so `import { Worker } from 'netwright'` and `require('netwright')` share one instance.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const source = fs.readFileSync(path.join(dist, 'index.js'), 'utf8');
// tsc emits `exports.Name = ...` / Object.defineProperty(exports, "Name", ...) for every export.
const names = new Set();
for (const m of source.matchAll(/(?:exports\.([A-Za-z_$][\w$]*)\s*=|defineProperty\(exports,\s*"([A-Za-z_$][\w$]*)")/g)) {
  const name = m[1] || m[2];
  if (name !== '__esModule') names.add(name);
}
const lines = [
  "import cjs from './index.js';",
  ...[...names].sort().map((n) => `export const ${n} = cjs.${n};`),
  'export default cjs;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
