// Pure helpers of the HTTP server: cookies, mime types, PHP-style query parsing, multipart
// uploads, byte ranges, static path resolution and sessions (memory and file stores).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { parseCookies, serializeCookie } from '../dist/protocols/http/cookies.js';
import { contentTypeFor } from '../dist/protocols/http/mime.js';
import { parseQuery } from '../dist/protocols/http/query.js';
import { parseMultipart, removeUploads } from '../dist/protocols/http/multipart.js';
import { parseRange } from '../dist/protocols/http/range.js';
import { resolveStaticPath } from '../dist/protocols/http/staticPath.js';
import { MemorySessionStore } from '../dist/protocols/http/session/MemorySessionStore.js';
import { FileSessionStore } from '../dist/protocols/http/session/FileSessionStore.js';
import { Session } from '../dist/protocols/http/session/Session.js';

/** Deep-compare ignoring prototypes (the parsers return null-prototype objects). */
const plain = (v) => JSON.parse(JSON.stringify(v));

function tmpDir(t, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nw-${name}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------- cookies

test('parseCookies: pairs, trimming, no URL-decoding, first wins, malformed ignored', () => {
  assert.deepEqual(plain(parseCookies(undefined)), {});
  assert.deepEqual(plain(parseCookies('')), {});
  assert.deepEqual(plain(parseCookies('a=1; b=2;c=3')), { a: '1', b: '2', c: '3' });
  assert.deepEqual(plain(parseCookies('  sid = abc ;\tx=y\t')), { sid: 'abc', x: 'y' });
  assert.deepEqual(plain(parseCookies('v=a%20b; q="quoted"')), { v: 'a%20b', q: '"quoted"' });
  assert.deepEqual(plain(parseCookies('t=a=b=c')), { t: 'a=b=c' });
  assert.deepEqual(plain(parseCookies('a=first; a=second')), { a: 'first' });
  assert.deepEqual(plain(parseCookies('noequals; =novalue; ;; ok=1; empty=')), { ok: '1', empty: '' });
});

test('parseCookies: __proto__ and constructor are plain keys, no pollution', () => {
  const c = parseCookies('__proto__=x; constructor=y');
  assert.equal(Object.getPrototypeOf(c), null);
  assert.equal(c['__proto__'], 'x');
  assert.equal(c.constructor, 'y');
  assert.equal({}.x, undefined);
  assert.equal(parseCookies('a=1').toString, undefined);
});

test('serializeCookie: attributes in order', () => {
  assert.equal(serializeCookie('NWSID', 'abc'), 'NWSID=abc');
  assert.equal(
    serializeCookie('NWSID', 'abc', {
      maxAge: 1440.7, expires: new Date(Date.UTC(2030, 0, 2, 3, 4, 5)), domain: 'example.com',
      path: '/', secure: true, httpOnly: true, sameSite: 'Lax',
    }),
    'NWSID=abc; Max-Age=1440; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax',
  );
  assert.equal(serializeCookie('a', 'b', { expires: 0 }), 'a=b; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  assert.equal(serializeCookie('a', 'b', { expires: '2030-01-02T03:04:05Z' }), 'a=b; Expires=Wed, 02 Jan 2030 03:04:05 GMT');
  assert.equal(serializeCookie('a', '', { maxAge: 0 }), 'a=; Max-Age=0');
  // not URL-encoded
  assert.equal(serializeCookie('a', 'x y%20"z"'), 'a=x y%20"z"');
  assert.equal(serializeCookie('a', 'b', { sameSite: 'None', secure: true }), 'a=b; Secure; SameSite=None');
});

test('serializeCookie: header injection attempts throw TypeError', () => {
  const bad = [
    () => serializeCookie('a', 'x\r\nSet-Cookie: evil=1'),
    () => serializeCookie('a', 'x\nLocation: http://evil'),
    () => serializeCookie('a', 'x; Domain=evil.com'),
    () => serializeCookie('a', 'x\0'),
    () => serializeCookie('a', 'x\x7f'),
    () => serializeCookie('a b', 'x'),
    () => serializeCookie('a=b', 'x'),
    () => serializeCookie('a;b', 'x'),
    () => serializeCookie('a\r\nX-Evil: 1', 'x'),
    () => serializeCookie('', 'x'),
    () => serializeCookie('é', 'x'),
    () => serializeCookie('a', 'b', { path: '/; HttpOnly' }),
    () => serializeCookie('a', 'b', { path: '/\r\nX: y' }),
    () => serializeCookie('a', 'b', { domain: 'x.com\r\nX: y' }),
    () => serializeCookie('a', 'b', { maxAge: NaN }),
    () => serializeCookie('a', 'b', { maxAge: Infinity }),
    () => serializeCookie('a', 'b', { expires: 'not a date' }),
    () => serializeCookie('a', 'b', { sameSite: 'Lax; Secure' }),
  ];
  for (const fn of bad) assert.throws(fn, TypeError, fn.toString());
});

// ---------------------------------------------------------------- mime

test('contentTypeFor: common types, case-insensitive, charset on text, unknown', () => {
  const expect = {
    'index.html': 'text/html; charset=utf-8', 'a.css': 'text/css; charset=utf-8',
    'a.js': 'text/javascript; charset=utf-8', 'a.mjs': 'text/javascript; charset=utf-8',
    'a.json': 'application/json; charset=utf-8', 'a.txt': 'text/plain; charset=utf-8',
    'a.xml': 'application/xml; charset=utf-8', 'a.svg': 'image/svg+xml; charset=utf-8',
    'a.csv': 'text/csv; charset=utf-8', 'a.js.map': 'application/json; charset=utf-8',
    'a.png': 'image/png', 'a.jpg': 'image/jpeg', 'a.jpeg': 'image/jpeg', 'a.gif': 'image/gif',
    'a.webp': 'image/webp', 'a.ico': 'image/x-icon', 'a.wasm': 'application/wasm',
    'a.pdf': 'application/pdf', 'a.zip': 'application/zip', 'a.tar.gz': 'application/gzip',
    'a.mp4': 'video/mp4', 'a.webm': 'video/webm', 'a.mp3': 'audio/mpeg', 'a.wav': 'audio/wav',
    'a.woff': 'font/woff', 'a.woff2': 'font/woff2', 'a.ttf': 'font/ttf', 'a.otf': 'font/otf',
    '/var/www/PHOTO.JPG': 'image/jpeg', 'Index.HTML': 'text/html; charset=utf-8',
    'noext': 'application/octet-stream', 'a.unknownext': 'application/octet-stream',
    '.env': 'application/octet-stream', 'dir.d/file': 'application/octet-stream',
    'a.toString': 'application/octet-stream', 'a.__proto__': 'application/octet-stream',
  };
  for (const [file, type] of Object.entries(expect)) assert.equal(contentTypeFor(file), type, file);
});

// ---------------------------------------------------------------- query

test('parseQuery: PHP parse_str basics', () => {
  assert.deepEqual(plain(parseQuery('')), {});
  assert.deepEqual(plain(parseQuery('a=1&b=2')), { a: '1', b: '2' });
  assert.deepEqual(plain(parseQuery('a=1&a=2')), { a: '2' });
  assert.deepEqual(plain(parseQuery('a[]=1&a[]=2')), { a: ['1', '2'] });
  assert.deepEqual(plain(parseQuery('a[x]=1&a[y]=2')), { a: { x: '1', y: '2' } });
  assert.deepEqual(plain(parseQuery('a[x][]=1&a[x][]=2&a[y][z]=3')), { a: { x: ['1', '2'], y: { z: '3' } } });
  assert.deepEqual(plain(parseQuery('a[0]=x&a[1]=y')), { a: ['x', 'y'] });
  assert.deepEqual(plain(parseQuery('a[1]=y')), { a: { 1: 'y' } });
  assert.deepEqual(plain(parseQuery('a[]=1&a[x]=2&a[]=3')), { a: { 0: '1', x: '2', 1: '3' } });
  assert.deepEqual(plain(parseQuery('a[5]=1&a[]=2')), { a: { 5: '1', 6: '2' } });
  assert.deepEqual(plain(parseQuery('flag&b=&=c&&')), { flag: '', b: '' });
  assert.deepEqual(plain(parseQuery('q=a+b%20c%2Bd&k+1=v')), { q: 'a b c+d', 'k 1': 'v' });
  assert.deepEqual(plain(parseQuery('u=%E2%82%AC%F0%9F%98%80')), { u: '€😀' });
  assert.deepEqual(plain(parseQuery('x=1=2')), { x: '1=2' });
});

test('parseQuery: overwrite rules between scalars and containers', () => {
  assert.deepEqual(plain(parseQuery('a=1&a[b]=2')), { a: { b: '2' } });
  assert.deepEqual(plain(parseQuery('a[b]=2&a=1')), { a: '1' });
  assert.deepEqual(plain(parseQuery('a[b]=1&a[b][c]=2')), { a: { b: { c: '2' } } });
});

test('parseQuery: encoded brackets, odd brackets', () => {
  assert.deepEqual(plain(parseQuery('a%5Bb%5D=1')), { a: { b: '1' } });
  assert.deepEqual(plain(parseQuery('a[b=1')), { 'a[b': '1' });
  assert.deepEqual(plain(parseQuery('a]=1')), { 'a]': '1' });
  assert.deepEqual(plain(parseQuery('a[b]c=1')), { a: { b: '1' } });
  assert.deepEqual(plain(parseQuery('a[b][c=1')), { a: { b: '1' } });
  assert.deepEqual(plain(parseQuery('[a]=1&[]=2&b=3')), { b: '3' });
});

test('parseQuery: malformed escapes are kept, never throws', () => {
  assert.deepEqual(plain(parseQuery('a=%&b=%zz&c=%4&d=100%25&e=%E2%82')), {
    a: '%', b: '%zz', c: '%4', d: '100%', e: '\uFFFD',
  });
  assert.deepEqual(plain(parseQuery('%=%%')), { '%': '%%' });
  assert.doesNotThrow(() => parseQuery('%ff%fe=%c0%80&%uD800=1'));
});

test('parseQuery: prototype pollution attempts are ignored', () => {
  const q = parseQuery(
    '__proto__[polluted]=1&constructor[prototype][polluted]=1&a[__proto__][polluted]=1'
    + '&b[constructor]=1&c[prototype]=1&__proto__=x&constructor=y&%5F%5Fproto%5F%5F[polluted]=1&ok=1',
  );
  assert.deepEqual(plain(q), { ok: '1' });
  assert.equal({}.polluted, undefined);
  assert.equal(Object.prototype.polluted, undefined);
  assert.equal(Object.getPrototypeOf(q), null);
  const nested = parseQuery('a[x]=1');
  assert.equal(Object.getPrototypeOf(nested.a), null);
  // toString etc. are not inherited
  assert.equal(parseQuery('a=1').toString, undefined);
  assert.deepEqual(plain(parseQuery('toString=1&hasOwnProperty=2')), { toString: '1', hasOwnProperty: '2' });
});

test('parseQuery: at most 1000 pairs, nesting depth 8', () => {
  const many = Array.from({ length: 1500 }, (_, i) => `k${i}=${i}`).join('&');
  const q = parseQuery(many);
  assert.equal(Object.keys(q).length, 1000);
  assert.equal(q.k999, '999');
  assert.equal(q.k1000, undefined);
  const arr = parseQuery(Array.from({ length: 5000 }, () => 'a[]=1').join('&'));
  assert.equal(arr.a.length, 1000);

  const eight = 'a' + '[x]'.repeat(8) + '=deep';
  let v = parseQuery(eight).a;
  for (let i = 0; i < 8; i++) v = v.x;
  assert.equal(v, 'deep');
  assert.deepEqual(plain(parseQuery('a' + '[x]'.repeat(9) + '=deep&b=1')), { b: '1' });
  assert.deepEqual(plain(parseQuery('a' + '[]'.repeat(100000) + '=1&b=1')), { b: '1' });
});

// ---------------------------------------------------------------- multipart

const LIMITS = (tmpDir, over = {}) => ({
  maxFileSize: 1024, maxFiles: 5, maxFields: 10, maxFieldSize: 100, tmpDir, ...over,
});

function multipartBody(boundary, parts, { preamble = '', epilogue = '' } = {}) {
  const chunks = [];
  if (preamble) chunks.push(Buffer.from(preamble + '\r\n'));
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${p.head}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n${epilogue}`));
  return Buffer.concat(chunks);
}
const field = (name, value) => ({ head: `Content-Disposition: form-data; name="${name}"`, body: value });
const file = (name, filename, body, type = 'text/plain') => ({
  head: `Content-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${type}`,
  body,
});
const listTmp = (dir) => fs.readdirSync(dir).sort();

test('parseMultipart: fields and files, PHP-style names, temp files 0600', (t) => {
  const dir = tmpDir(t, 'mp');
  const B = '----formdata-undici-0123456789';
  const binary = Buffer.from([0, 1, 2, 0x0d, 0x0a, 0x2d, 0x2d, 255]);
  const body = multipartBody(B, [
    field('title', 'Hello\r\nworld'),
    field('tags[]', 'a'),
    field('tags[]', 'b'),
    field('user[name]', 'Zoë'),
    file('avatar', 'C:\\Users\\me\\face.png', binary, 'image/png'),
    file('docs[]', 'a.txt', 'AAA'),
    file('docs[]', '../../etc/b.txt', 'BB'),
  ], { preamble: 'ignored preamble', epilogue: 'ignored epilogue' });
  const { fields, files } = parseMultipart(body, `multipart/form-data; boundary=${B}`, LIMITS(dir));
  assert.deepEqual(plain(fields), { title: 'Hello\r\nworld', tags: ['a', 'b'], user: { name: 'Zoë' } });
  assert.equal(files.avatar.name, 'face.png');
  assert.equal(files.avatar.type, 'image/png');
  assert.equal(files.avatar.size, binary.length);
  assert.equal(files.avatar.error, 0);
  assert.deepEqual(fs.readFileSync(files.avatar.tmpName), binary);
  assert.equal(path.dirname(files.avatar.tmpName), dir);
  assert.equal(fs.statSync(files.avatar.tmpName).mode & 0o777, 0o600);
  assert.equal(files.docs.length, 2);
  assert.deepEqual(files.docs.map((f) => f.name), ['a.txt', 'b.txt']);
  assert.equal(fs.readFileSync(files.docs[1].tmpName, 'utf8'), 'BB');
  assert.equal(listTmp(dir).length, 3);
  assert.notEqual(files.docs[0].tmpName, files.docs[1].tmpName);
  removeUploads(files);
  assert.deepEqual(listTmp(dir), []);
  removeUploads(files); // ENOENT ignored
});

test('parseMultipart: quoted boundary, filename*, empty file input, missing type, nameless parts', (t) => {
  const dir = tmpDir(t, 'mp');
  const B = 'abc def:1';
  const body = multipartBody(B, [
    { head: 'content-disposition: form-data; name="f"; filename="x.bin"; filename*=UTF-8\'\'%E2%82%AC%20rates.txt', body: 'E' },
    { head: 'Content-Disposition: form-data; name="none"; filename=""\r\nContent-Type: application/octet-stream', body: '' },
    { head: 'Content-Disposition: form-data; name=plain; filename=plain.txt', body: 'Q' },
    { head: 'Content-Disposition: form-data; name="esc"; filename="a\\"b\\\\c.txt"', body: 'Q' },
    { head: 'Content-Disposition: attachment; name="skipped"', body: 'x' },
    { head: 'Content-Type: text/plain', body: 'no disposition' },
    field('empty', ''),
  ]);
  const { fields, files } = parseMultipart(body, `Multipart/Form-Data; charset=utf-8; boundary="${B}"`, LIMITS(dir));
  t.after(() => removeUploads(files));
  assert.deepEqual(plain(fields), { empty: '' });
  assert.equal(files.f.name, '€ rates.txt');
  assert.equal(files.f.type, 'application/octet-stream');
  assert.deepEqual(files.none, { name: '', tmpName: '', size: 0, type: 'application/octet-stream', error: 4 });
  assert.equal(files.plain.name, 'plain.txt');
  assert.equal(files.esc.name, 'c.txt'); // a"b\c.txt → basename
  assert.equal(listTmp(dir).length, 3);
});

test('parseMultipart: file over maxFileSize gets error 1 and no temp file', (t) => {
  const dir = tmpDir(t, 'mp');
  const B = 'b';
  const body = multipartBody(B, [file('big', 'big.bin', Buffer.alloc(1025, 1)), file('ok', 'ok.bin', Buffer.alloc(1024, 1))]);
  const { files } = parseMultipart(body, 'multipart/form-data; boundary=b', LIMITS(dir));
  assert.equal(files.big.error, 1);
  assert.equal(files.big.tmpName, '');
  assert.equal(files.big.size, 0);
  assert.equal(files.big.name, 'big.bin');
  assert.equal(files.ok.error, 0);
  assert.equal(files.ok.size, 1024);
  assert.equal(listTmp(dir).length, 1);
  removeUploads(files);
  assert.deepEqual(listTmp(dir), []);
});

test('parseMultipart: limits throw EMULTIPART_LIMIT and remove temp files already written', (t) => {
  const dir = tmpDir(t, 'mp');
  const B = 'lim';
  const ct = `multipart/form-data; boundary=${B}`;
  const tooManyFiles = multipartBody(B, Array.from({ length: 6 }, (_, i) => file(`f${i}`, `${i}.txt`, 'x')));
  assert.throws(() => parseMultipart(tooManyFiles, ct, LIMITS(dir)), { code: 'EMULTIPART_LIMIT' });
  assert.deepEqual(listTmp(dir), []);
  const fiveFiles = multipartBody(B, Array.from({ length: 5 }, (_, i) => file('f[]', `${i}.txt`, 'x')));
  const ok = parseMultipart(fiveFiles, ct, LIMITS(dir));
  assert.equal(ok.files.f.length, 5);
  removeUploads(ok.files);

  const tooManyFields = multipartBody(B, [file('f', 'a.txt', 'x'), ...Array.from({ length: 11 }, (_, i) => field(`a${i}`, 'v'))]);
  assert.throws(() => parseMultipart(tooManyFields, ct, LIMITS(dir)), { code: 'EMULTIPART_LIMIT' });
  assert.deepEqual(listTmp(dir), []);
  // nameless parts count as fields too
  const nameless = multipartBody(B, Array.from({ length: 11 }, () => ({ head: 'X-Foo: bar', body: '' })));
  assert.throws(() => parseMultipart(nameless, ct, LIMITS(dir)), { code: 'EMULTIPART_LIMIT' });

  const bigField = multipartBody(B, [file('f', 'a.txt', 'x'), field('a', 'v'.repeat(101))]);
  assert.throws(() => parseMultipart(bigField, ct, LIMITS(dir)), { code: 'EMULTIPART_LIMIT' });
  assert.deepEqual(listTmp(dir), []);
  const maxField = parseMultipart(multipartBody(B, [field('a', 'v'.repeat(100))]), ct, LIMITS(dir));
  assert.equal(maxField.fields.a.length, 100);
});

test('parseMultipart: bad content types and malformed bodies throw EMULTIPART (temp files removed)', (t) => {
  const dir = tmpDir(t, 'mp');
  const body = multipartBody('b', [field('a', '1')]);
  for (const ct of [
    'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=""',
    'application/x-www-form-urlencoded; boundary=b', `multipart/form-data; boundary=${'x'.repeat(71)}`,
    'multipart/form-data; boundary="b', 'multipart/form-data; boundary=a"b',
  ]) {
    assert.throws(() => parseMultipart(body, ct, LIMITS(dir)), { code: 'EMULTIPART' }, ct);
  }
  const ct = 'multipart/form-data; boundary=b';
  const good = '--b\r\nContent-Disposition: form-data; name="f"; filename="f.txt"\r\n\r\nDATA\r\n';
  const bad = [
    '',
    'no delimiter at all',
    good, // no closing delimiter
    good + '--b', // delimiter line not ended
    good + '--bX\r\n\r\nx\r\n--b--', // delimiter followed by junk
    good + '--b\r\nContent-Disposition: form-data; name="a"', // unterminated head
    good + '--b\r\nbad header line\r\n\r\nx\r\n--b--',
    good + '--b\r\nContent-Disposition: form-data; name="a\r\n\r\nx\r\n--b--', // unterminated quote
    good + '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end',
  ];
  for (const s of bad) {
    assert.throws(() => parseMultipart(Buffer.from(s), ct, LIMITS(dir)), { code: 'EMULTIPART' }, JSON.stringify(s));
    assert.deepEqual(listTmp(dir), [], JSON.stringify(s));
  }
  // a body with only the close delimiter is valid and empty
  assert.deepEqual(plain(parseMultipart(Buffer.from('--b--\r\n'), ct, LIMITS(dir))), { fields: {}, files: {} });
  // transport padding after the delimiter is allowed
  const padded = parseMultipart(Buffer.from('--b  \r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--'), ct, LIMITS(dir));
  assert.equal(padded.fields.a, '1');
});

test('parseMultipart: repeated plain file name replaces and removes the earlier temp file; pollution ignored', (t) => {
  const dir = tmpDir(t, 'mp');
  const B = 'r';
  const body = multipartBody(B, [
    file('f', 'first.txt', '1'), file('f', 'second.txt', '2'),
    file('g', 'one.txt', '1'), file('g[]', 'two.txt', '2'),
    file('__proto__', 'p.txt', 'p'), file('constructor[x]', 'c.txt', 'c'),
    field('__proto__[polluted]', '1'), field('x[constructor][prototype]', '1'),
  ]);
  const { fields, files } = parseMultipart(body, `multipart/form-data; boundary=${B}`, LIMITS(dir, { maxFiles: 10 }));
  assert.equal(files.f.name, 'second.txt');
  assert.deepEqual(files.g.map((f) => f.name), ['one.txt', 'two.txt']);
  assert.deepEqual(Object.keys(files).sort(), ['f', 'g']);
  assert.deepEqual(plain(fields), {});
  assert.equal({}.polluted, undefined);
  assert.equal(listTmp(dir).length, 3);
  removeUploads(files);
  assert.deepEqual(listTmp(dir), []);
});

test('parseMultipart: missing temp dir gives error 6, not a throw', (t) => {
  const dir = tmpDir(t, 'mp');
  const body = multipartBody('b', [file('f', 'a.txt', 'x')]);
  const { files } = parseMultipart(body, 'multipart/form-data; boundary=b', LIMITS(path.join(dir, 'missing')));
  assert.equal(files.f.error, 6);
  assert.equal(files.f.tmpName, '');
});

// ---------------------------------------------------------------- range

test('parseRange: single ranges', () => {
  assert.deepEqual(parseRange('bytes=0-99', 1000), { start: 0, end: 99 });
  assert.deepEqual(parseRange('bytes=100-', 1000), { start: 100, end: 999 });
  assert.deepEqual(parseRange('bytes=-500', 1000), { start: 500, end: 999 });
  assert.deepEqual(parseRange('bytes=-5000', 1000), { start: 0, end: 999 });
  assert.deepEqual(parseRange('bytes=900-5000', 1000), { start: 900, end: 999 });
  assert.deepEqual(parseRange('bytes=999-999', 1000), { start: 999, end: 999 });
  assert.deepEqual(parseRange('Bytes = 1-2 ', 1000), { start: 1, end: 2 });
  assert.deepEqual(parseRange('bytes=0-99999999999999999999999', 10), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=0-0', 1), { start: 0, end: 0 });
});

test('parseRange: null (serve whole file) and unsatisfiable', () => {
  for (const h of [undefined, '', 'items=0-1', 'bytes 0-1', 'none', 'bytes=0-1,5-6', 'bytes=0-1, -5', 'bytes=,']) {
    assert.equal(parseRange(h, 1000), null, String(h));
  }
  for (const h of [
    'bytes=1000-', 'bytes=1000-2000', 'bytes=5000-', 'bytes=-0', 'bytes=-', 'bytes=', 'bytes=10-5',
    'bytes=abc', 'bytes=1-x', 'bytes=-1-2', 'bytes=0x10-', 'bytes=1.5-2', 'bytes=+1-2',
    'bytes=99999999999999999999999-',
  ]) {
    assert.equal(parseRange(h, 1000), 'unsatisfiable', h);
  }
  assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  assert.equal(parseRange('bytes=-1', 0), 'unsatisfiable');
});

// ---------------------------------------------------------------- static paths

test('resolveStaticPath: files, index.html, traversal, symlinks out of the root', (t) => {
  const base = tmpDir(t, 'static');
  const root = path.join(base, 'root');
  fs.mkdirSync(path.join(root, 'sub', 'noindex'), { recursive: true });
  fs.mkdirSync(path.join(root, 'sp ace'));
  fs.writeFileSync(path.join(root, 'index.html'), 'home');
  fs.writeFileSync(path.join(root, 'a.txt'), 'a');
  fs.writeFileSync(path.join(root, 'sub', 'index.html'), 'sub');
  fs.writeFileSync(path.join(root, 'sp ace', 'f ile.txt'), 'x');
  fs.writeFileSync(path.join(root, '..b'), 'dots in a name are fine');
  const outside = path.join(base, 'secret.txt');
  fs.writeFileSync(outside, 'secret');
  fs.mkdirSync(path.join(base, 'outdir'));
  fs.writeFileSync(path.join(base, 'outdir', 'index.html'), 'outside index');
  fs.symlinkSync(outside, path.join(root, 'link-out.txt'));
  fs.symlinkSync(path.join(base, 'outdir'), path.join(root, 'dir-out'));
  fs.symlinkSync('/etc', path.join(root, 'etc'));
  fs.symlinkSync(path.join(root, 'a.txt'), path.join(root, 'link-in.txt'));
  fs.symlinkSync(outside, path.join(root, 'sub', 'noindex', 'index.html'));
  fs.symlinkSync(path.join(root, 'missing'), path.join(root, 'dangling'));

  const real = (p) => fs.realpathSync(path.join(root, p));
  assert.equal(resolveStaticPath(root, '/a.txt'), real('a.txt'));
  assert.equal(resolveStaticPath(root, '/'), real('index.html'));
  assert.equal(resolveStaticPath(root, ''), real('index.html'));
  assert.equal(resolveStaticPath(root, '/sub'), real('sub/index.html'));
  assert.equal(resolveStaticPath(root, '/sub/'), real('sub/index.html'));
  assert.equal(resolveStaticPath(root, '/sp%20ace/f%20ile.txt'), real('sp ace/f ile.txt'));
  assert.equal(resolveStaticPath(root, '/./a.txt'), real('a.txt'));
  assert.equal(resolveStaticPath(root, '//a.txt'), real('a.txt'));
  assert.equal(resolveStaticPath(root, '/..b'), real('..b'));
  assert.equal(resolveStaticPath(root, '/link-in.txt'), real('a.txt'));
  // relative root
  assert.equal(resolveStaticPath(path.relative(process.cwd(), root), '/a.txt'), real('a.txt'));

  const refused = [
    '/missing.txt', '/a.txt/', '/a.txt/.', '/a.txt/x', '/sub/noindex', '/sub/noindex/', '/dangling',
    '/../secret.txt', '/sub/../../secret.txt', '..', '/..', '/sub/..',
    '/%2e%2e/secret.txt', '/%2E%2E/secret.txt', '/.%2e/secret.txt', '/%2e./secret.txt',
    '/..%2fsecret.txt', '/..%2Fsecret.txt', '/%2e%2e%2fsecret.txt', '/sub%2f..%2f..%2fsecret.txt',
    '/..\\secret.txt', '/..%5csecret.txt', '/%5c..%5csecret.txt', '/a.txt%00', '/a.txt\0.png',
    '/%E0%A4%A', '/%', '/%zz', '/%252e%252e/secret.txt',
    '/link-out.txt', '/dir-out', '/dir-out/', '/dir-out/index.html', '/etc/passwd', '/etc/hostname',
    `/${outside}`, outside, `/%2F${outside.slice(1).replace(/\//g, '%2F')}`,
  ];
  for (const p of refused) assert.equal(resolveStaticPath(root, p), null, p);
  // absolute paths are taken relative to the root, never as-is
  fs.mkdirSync(path.join(root, 'etc2'));
  fs.writeFileSync(path.join(root, 'etc2', 'passwd'), 'fake');
  assert.equal(resolveStaticPath(root, '/etc2/passwd'), real('etc2/passwd'));

  // missing root, file as root, bad arguments
  assert.equal(resolveStaticPath(path.join(base, 'nope'), '/a.txt'), null);
  assert.equal(resolveStaticPath(path.join(root, 'a.txt'), '/'), null);
  assert.equal(resolveStaticPath('', '/a.txt'), null);
  assert.equal(resolveStaticPath(root, undefined), null);
});

test('resolveStaticPath: a root that is itself a symlink works', (t) => {
  const base = tmpDir(t, 'static');
  fs.mkdirSync(path.join(base, 'real'));
  fs.writeFileSync(path.join(base, 'real', 'f.txt'), 'f');
  fs.symlinkSync(path.join(base, 'real'), path.join(base, 'linkroot'));
  assert.equal(resolveStaticPath(path.join(base, 'linkroot'), '/f.txt'), fs.realpathSync(path.join(base, 'real', 'f.txt')));
  // a sibling whose name starts with the root's name is outside
  fs.mkdirSync(path.join(base, 'real2'));
  fs.writeFileSync(path.join(base, 'real2', 'g.txt'), 'g');
  fs.symlinkSync(path.join(base, 'real2', 'g.txt'), path.join(base, 'real', 'g.txt'));
  assert.equal(resolveStaticPath(path.join(base, 'real'), '/g.txt'), null);
});

test('resolveStaticPath: FIFOs are not regular files', { skip: process.platform === 'win32' }, async (t) => {
  const base = tmpDir(t, 'static');
  const { execFileSync } = await import('node:child_process');
  try {
    execFileSync('mkfifo', [path.join(base, 'fifo')]);
  } catch {
    t.skip('mkfifo unavailable');
    return;
  }
  assert.equal(resolveStaticPath(base, '/fifo'), null);
});

// ---------------------------------------------------------------- sessions

test('Session.createId / isValidId', () => {
  const id = Session.createId();
  assert.match(id, /^[0-9a-f]{32}$/);
  assert.notEqual(Session.createId(), id);
  assert.equal(Session.isValidId(id), true);
  assert.equal(Session.isValidId('abcdefghijklmnop'), true);
  assert.equal(Session.isValidId('a,b-c'.repeat(4)), true);
  for (const bad of ['', 'short', 'x'.repeat(129), '../../../../etc/passwd', 'a'.repeat(16) + '/', 'a'.repeat(16) + '\0',
    'a'.repeat(16) + '.json', undefined, null, 42]) {
    assert.equal(Session.isValidId(bad), false, String(bad));
  }
  assert.throws(() => new Session(new MemorySessionStore(), '../etc/passwd', 60), TypeError);
});

/** A store wrapper that counts calls, to check laziness and when writes happen. */
function counting(store) {
  const calls = { read: 0, write: 0, destroy: 0 };
  return {
    calls,
    read: (id) => (calls.read++, store.read(id)),
    write: (id, d, l) => (calls.write++, store.write(id, d, l)),
    destroy: (id) => (calls.destroy++, store.destroy(id)),
  };
}

function sessionSuite(name, makeStore) {
  test(`Session with ${name}: lazy read, set/get/has/delete/all, save only when changed`, (t) => {
    const store = makeStore(t);
    const s0 = counting(store);
    const id = Session.createId();
    const s = new Session(s0, id, 60);
    assert.equal(s.id, id);
    assert.equal(s0.calls.read, 0);
    assert.equal(s.get('user'), undefined);
    assert.equal(s.get('user', 'anon'), 'anon');
    assert.equal(s0.calls.read, 1);
    assert.equal(s.has('user'), false);
    s.set('user', { name: 'ann', roles: ['admin'] });
    s.set('n', 0);
    s.set('__proto__', 'p');
    s.set('constructor', 'c');
    assert.equal(s.has('n'), true);
    assert.equal(s.get('n', 5), 0);
    assert.equal(s.has('toString'), false);
    assert.equal(s.get('toString'), undefined);
    assert.equal(s0.calls.read, 1);
    s.save();
    assert.equal(s0.calls.write, 1);
    s.save(); // unchanged → no write
    assert.equal(s0.calls.write, 1);

    const again = new Session(store, id, 60);
    assert.deepEqual(again.get('user'), { name: 'ann', roles: ['admin'] });
    assert.equal(again.get('__proto__'), 'p');
    assert.equal(again.get('constructor'), 'c');
    assert.deepEqual(Object.keys(again.all()).sort(), ['__proto__', 'constructor', 'n', 'user']);
    assert.deepEqual(Object.keys(again.get()).sort(), ['__proto__', 'constructor', 'n', 'user']);
    assert.equal({}.user, undefined);
    again.delete('user');
    again.delete('nothing');
    again.save();
    assert.equal(new Session(store, id, 60).has('user'), false);

    // all() is a copy
    const third = new Session(store, id, 60);
    third.all().n = 99;
    assert.equal(third.get('n'), 0);
    // a fresh id has no data
    assert.deepEqual(new Session(store, Session.createId(), 60).all(), {});
  });

  test(`Session with ${name}: flush destroys the stored session`, (t) => {
    const store = makeStore(t);
    const id = Session.createId();
    const s = new Session(store, id, 60);
    s.set('a', 1);
    s.save();
    assert.deepEqual(store.read(id), { a: 1 });
    const s2 = new Session(store, id, 60);
    s2.flush();
    assert.deepEqual(s2.all(), {});
    s2.save();
    assert.equal(store.read(id), null);
    // flush then set keeps only the new data
    const s3 = new Session(store, id, 60);
    s3.set('x', 1);
    s3.save();
    const s4 = new Session(store, id, 60);
    s4.flush();
    s4.set('y', 2);
    s4.save();
    assert.deepEqual(store.read(id), { y: 2 });
  });

  test(`Session with ${name}: regenerate moves data to a new id and destroys the old one on save`, (t) => {
    const store = makeStore(t);
    const id = Session.createId();
    const s = new Session(store, id, 60);
    s.set('user', 'ann');
    s.save();

    const s2 = new Session(store, id, 60);
    s2.regenerate();
    const newId = s2.id;
    assert.notEqual(newId, id);
    assert.equal(Session.isValidId(newId), true);
    assert.equal(s2.get('user'), 'ann'); // data carried over (read from the old id)
    assert.deepEqual(store.read(id), { user: 'ann' }); // nothing happens before save
    s2.regenerate(); // twice before save: the original id is still the one destroyed
    const newest = s2.id;
    s2.save();
    assert.equal(store.read(id), null);
    assert.equal(store.read(newId), null);
    assert.deepEqual(store.read(newest), { user: 'ann' });

    // regenerate on an empty session: the old id is destroyed, nothing is written
    const empty = counting(store);
    const s3 = new Session(empty, Session.createId(), 60);
    s3.regenerate();
    s3.save();
    assert.equal(empty.calls.write, 0);
    assert.equal(store.read(s3.id), null);
  });

  test(`Session with ${name}: expired data is not returned`, (t) => {
    const store = makeStore(t);
    const id = Session.createId();
    const s = new Session(store, id, 0);
    s.set('a', 1);
    s.save();
    assert.equal(store.read(id), null);
    assert.deepEqual(new Session(store, id, 60).all(), {});
  });
}

sessionSuite('MemorySessionStore', () => new MemorySessionStore());
sessionSuite('FileSessionStore', (t) => new FileSessionStore(path.join(tmpDir(t, 'sess'), 'nested', 'dir')));

test('MemorySessionStore: expiry, gc, maxSessions evicts the oldest write, data copied', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const store = new MemorySessionStore({ maxSessions: 3 });
  const ids = Array.from({ length: 4 }, () => Session.createId());
  const obj = { v: 1 };
  store.write(ids[0], obj, 10);
  obj.v = 2; // later changes don't leak into the store
  assert.deepEqual(store.read(ids[0]), { v: 1 });
  const r = store.read(ids[0]);
  r.v = 3;
  assert.deepEqual(store.read(ids[0]), { v: 1 });
  t.mock.timers.tick(1000);
  store.write(ids[1], { v: 1 }, 100);
  store.write(ids[2], { v: 1 }, 100);
  store.write(ids[0], { v: 9 }, 10); // rewritten → now the newest
  store.write(ids[3], { v: 1 }, 100); // evicts ids[1], the oldest write
  assert.equal(store.size, 3);
  assert.equal(store.read(ids[1]), null);
  assert.deepEqual(store.read(ids[0]), { v: 9 });

  t.mock.timers.tick(10_000); // ids[0] expired (10 s lifetime)
  assert.equal(store.size, 3);
  store.gc();
  assert.equal(store.size, 2);
  assert.equal(store.read(ids[0]), null);
  t.mock.timers.tick(5000);
  store.gc(60); // written 15 s ago, under 60 s
  assert.equal(store.size, 2);
  store.gc(10); // older than 10 s → removed even though their own lifetime is 100 s
  assert.equal(store.size, 0);

  store.write(ids[0], { v: 1 }, 100);
  store.destroy(ids[0]);
  store.destroy(ids[0]);
  assert.equal(store.read(ids[0]), null);
  assert.equal(new MemorySessionStore().maxSessions, 100000);
  assert.throws(() => new MemorySessionStore({ maxSessions: 0 }), RangeError);
});

test('FileSessionStore: file per session, 0600, invalid ids, gc by mtime, corrupt files', (t) => {
  const dir = tmpDir(t, 'sess');
  const store = new FileSessionStore(dir);
  const id = Session.createId();
  store.write(id, { a: 1 }, 100);
  const files = fs.readdirSync(dir);
  assert.deepEqual(files, [`session_${id}`]);
  const file = path.join(dir, files[0]);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).data, { a: 1 });
  assert.deepEqual(store.read(id), { a: 1 });

  // ids that could escape the directory are never used as file names
  fs.writeFileSync(path.join(dir, 'target'), JSON.stringify({ expires: Date.now() + 1e6, data: { stolen: 1 } }));
  for (const bad of ['../' + 'a'.repeat(16), 'x/../../target', '..', 'a'.repeat(16) + '/../../target', '']) {
    assert.equal(store.read(bad), null, bad);
    assert.throws(() => store.write(bad, { a: 1 }, 10), TypeError);
    store.destroy(bad);
  }
  assert.ok(fs.existsSync(path.join(dir, 'target')));

  // corrupt / wrong-shape files read as null
  const id2 = Session.createId();
  fs.writeFileSync(path.join(dir, `session_${id2}`), '{not json');
  assert.equal(store.read(id2), null);
  fs.writeFileSync(path.join(dir, `session_${id2}`), JSON.stringify({ expires: Date.now() + 1e6, data: [1, 2] }));
  assert.equal(store.read(id2), null);
  fs.writeFileSync(path.join(dir, `session_${id2}`), JSON.stringify({ expires: Date.now() - 1, data: { a: 1 } }));
  assert.equal(store.read(id2), null);
  fs.unlinkSync(path.join(dir, `session_${id2}`));

  // gc removes session files older than the lifetime by mtime, leaves other files alone
  const old = Session.createId();
  store.write(old, { o: 1 }, 1e6);
  const past = new Date(Date.now() - 3600_000);
  fs.utimesSync(path.join(dir, `session_${old}`), past, past);
  fs.writeFileSync(path.join(dir, '.session_stale.tmp'), 'x');
  fs.utimesSync(path.join(dir, '.session_stale.tmp'), past, past);
  fs.utimesSync(path.join(dir, 'target'), past, past);
  store.gc(1800);
  assert.equal(fs.existsSync(path.join(dir, `session_${old}`)), false);
  assert.equal(fs.existsSync(path.join(dir, '.session_stale.tmp')), false);
  assert.deepEqual(store.read(id), { a: 1 });
  assert.ok(fs.existsSync(path.join(dir, 'target')));

  store.destroy(id);
  store.destroy(id);
  assert.equal(store.read(id), null);
  assert.deepEqual(fs.readdirSync(dir), ['target']);
  // another instance on the same directory sees the same sessions (worker processes)
  const id3 = Session.createId();
  store.write(id3, { shared: true }, 100);
  assert.deepEqual(new FileSessionStore(dir).read(id3), { shared: true });
});
