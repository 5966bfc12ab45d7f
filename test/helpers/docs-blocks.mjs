// The fenced code blocks of README.md and docs/*.md, as test/docs.test.mjs runs
// them. The conventions (documented in docs/testing.md, "How the docs are
// tested"):
// - ```js, ```mjs and ```ts blocks run; ```ts blocks are also type-checked.
//   `no-run="why"` in the info string leaves a block out, with the reason.
// - An HTML comment `<!-- test ... -->` right after a block is its check: the
//   body of an async function run in the test process with the helpers of
//   docs-run.mjs (run() starts the block, then real clients talk to it).
//   Without one, the block must end by itself with exit code 0.
// - An HTML comment `<!-- prelude ... -->` right before a block is prepended
//   to it (for a fragment that continues the code shown above it).
// - Port numbers written as `:PORT` in a block or its check are replaced by
//   free ports, the same in both; `ports="8080 9000"` names them instead.
// - Other languages (sh, text, jsonc, php, md, none) are shown, not run; `sh` blocks
//   are checked for the scripts and files they name.
//
// node --test runs every .mjs under test/ as a test file, this one included:
// importing it has no side effects beyond loading node modules.
import fs from 'node:fs';
import path from 'node:path';

export const RUN_LANGUAGES = new Set(['js', 'mjs', 'ts']);
const SHOWN_LANGUAGES = new Set(['sh', 'text', 'jsonc', 'php', 'md', '']);

/** README.md and every docs/*.md page, as paths relative to `root`. */
export function docFiles(root) {
  const docs = fs.readdirSync(path.join(root, 'docs'), { recursive: true })
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f))
    .sort();
  return ['README.md', ...docs];
}

function parseInfo(info) {
  const [language = '', ...rest] = info.trim().split(/\s+/);
  const attributes = {};
  for (const m of rest.join(' ').matchAll(/([\w-]+)(?:="([^"]*)")?/g)) attributes[m[1]] = m[2] ?? true;
  return { language: language.toLowerCase(), attributes };
}

/** A hidden comment `<!-- kind\n...\n-->` starting at line `i` (blank lines skipped in `direction`). */
function commentAt(lines, i, kind, direction) {
  while (i >= 0 && i < lines.length && lines[i].trim() === '') i += direction;
  if (i < 0 || i >= lines.length) return null;
  if (direction > 0) {
    if (lines[i].trim() !== `<!-- ${kind}`) return null;
    const end = lines.indexOf('-->', i);
    if (end < 0) throw new Error(`unterminated <!-- ${kind} at line ${i + 1}`);
    return lines.slice(i + 1, end).join('\n');
  }
  if (lines[i].trim() !== '-->') return null;
  let start = i;
  while (start >= 0 && lines[start].trim() !== `<!-- ${kind}`) start--;
  if (start < 0) return null;
  return lines.slice(start + 1, i).join('\n');
}

/** Every fenced block of one Markdown file: { file, line, language, attributes, code, check, prelude }. */
export function blocksOf(root, file) {
  const lines = fs.readFileSync(path.join(root, file), 'utf8').split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[2];
    let end = i + 1;
    while (end < lines.length && !lines[end].trim().startsWith(fence)) end++;
    if (end >= lines.length) throw new Error(`${file}:${i + 1}: unterminated code fence`);
    const { language, attributes } = parseInfo(open[3]);
    if (!RUN_LANGUAGES.has(language) && !SHOWN_LANGUAGES.has(language)) {
      throw new Error(`${file}:${i + 1}: code block language '${language}' is neither run (${[...RUN_LANGUAGES]}) nor shown (${[...SHOWN_LANGUAGES].filter(Boolean)})`);
    }
    blocks.push({
      file,
      line: i + 1,
      language,
      attributes,
      code: lines.slice(i + 1, end).map((l) => l.slice(open[1].length)).join('\n'),
      check: commentAt(lines, end + 1, 'test', 1),
      prelude: commentAt(lines, i - 1, 'prelude', -1),
    });
    i = end;
  }
  return blocks;
}

/** The ports a block and its check use: `:PORT` occurrences, or the `ports` attribute. */
export function portsOf(block) {
  if (typeof block.attributes.ports === 'string') return block.attributes.ports.split(/\s+/).filter(Boolean).map(Number);
  const text = [block.prelude, block.code, block.check].filter(Boolean).join('\n');
  const ports = new Set();
  for (const m of text.matchAll(/[\w\]]:(\d{4,5})\b/g)) {
    const port = Number(m[1]);
    if (port >= 1024 && port <= 65535) ports.add(port);
  }
  return [...ports];
}

/** `text` with each documented port replaced by its free port. */
export function withPorts(text, mapping) {
  if (!text || mapping.size === 0) return text;
  const pattern = new RegExp(`\\b(${[...mapping.keys()].join('|')})\\b`, 'g');
  return text.replace(pattern, (p) => String(mapping.get(Number(p))));
}

/** `node <file>` and `npm run <script>` in a shell block that do not exist. */
export function missingInShell(root, block, scripts) {
  const missing = [];
  for (const line of block.code.split('\n')) {
    const command = line.replace(/#.*$/, '');
    for (const m of command.matchAll(/\bnode\s+((?:examples|scripts|test|bench)\/[\w./-]+)/g)) {
      if (!fs.existsSync(path.join(root, m[1]))) missing.push(m[1]);
    }
    for (const m of command.matchAll(/\bnpm (?:run )?([\w:-]+)/g)) {
      const name = m[1];
      if (name.startsWith('-') || ['install', 'i', 'ci', 'pack', 'rebuild', 'exec'].includes(name)) continue;
      if (!(name in scripts)) missing.push(`npm run ${name}`);
    }
  }
  return missing;
}
