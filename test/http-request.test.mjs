// The Request API seen from a real server: query and body parameters
// (urlencoded, JSON, multipart with files), headers, cookies, host, raw body,
// protocol version, peer address; uploads spooled to temp files removed after
// the response; sessions in the memory store, the file store and a custom store.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Request, Response, Session, MemorySessionStore, FileSessionStore } from 'netwright';
import { harness, T, sleep, until } from './helpers/harness.mjs';
import { waitResponses, httpServer, get, withBody, rawExchange, echoJson } from './helpers/http-client.mjs';

function tmpDir(t, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `nw-http-${name}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const json = (r) => JSON.parse(r.text);
const plain = (v) => JSON.parse(JSON.stringify(v));

/** One request with a fresh connection; returns the parsed response. */
async function ask(h, worker, bytes) {
  const { client, responses } = await rawExchange(h, worker.port, bytes);
  client.destroy();
  return responses[0];
}

// ------------------------------------------------------------------ line and query

test('method, path, uri, queryString and get()', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, echoJson((r) => ({
    all: plain(r.get()), x: r.get('x'), space: r.get('s'), arr: r.get('arr'), nested: r.get('m'),
    missing: r.get('missing') ?? null, dflt: r.get('missing', 'fallback'), present: r.get('x', 'unused'),
  })));
  const r = json(await ask(h, worker, get('/p/a.b?x=1&s=a+b%20c&arr[]=1&arr[]=2&m[k]=v&e=')));
  assert.equal(r.method, 'GET');
  assert.equal(r.path, '/p/a.b');
  assert.equal(r.uri, '/p/a.b?x=1&s=a+b%20c&arr[]=1&arr[]=2&m[k]=v&e=');
  assert.equal(r.queryString, 'x=1&s=a+b%20c&arr[]=1&arr[]=2&m[k]=v&e=');
  assert.equal(r.x, '1');
  assert.equal(r.space, 'a b c');
  assert.deepEqual(r.arr, ['1', '2']);
  assert.deepEqual(r.nested, { k: 'v' });
  assert.equal(r.missing, null);
  assert.equal(r.dflt, 'fallback');
  assert.equal(r.present, '1');
  assert.deepEqual(r.all, { x: '1', s: 'a b c', arr: ['1', '2'], m: { k: 'v' }, e: '' });

  const bare = json(await ask(h, worker, get('/plain')));
  assert.equal(bare.path, '/plain');
  assert.equal(bare.queryString, '');
  assert.deepEqual(bare.all, {});
  const other = json(await ask(h, worker, 'DELETE /thing?id=7 HTTP/1.1\r\nHost: t\r\n\r\n'));
  assert.equal(other.method, 'DELETE');
});

// ------------------------------------------------------------------ bodies

test('post(): application/x-www-form-urlencoded', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, echoJson((r) => ({
    all: plain(r.post()), b: r.post('b'), c: r.post('c'), list: r.post('list'), dflt: r.post('nope', 'd'), none: r.post('nope') ?? null,
  })));
  const r = json(await ask(h, worker, withBody('POST', '/form', 'a=1&b=hello+world&c=%C3%A9t%C3%A9&list[]=x&list[]=y',
    { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' })));
  assert.equal(r.b, 'hello world');
  assert.equal(r.c, 'été');
  assert.deepEqual(r.list, ['x', 'y']);
  assert.equal(r.dflt, 'd');
  assert.equal(r.none, null);
  assert.deepEqual(r.all, { a: '1', b: 'hello world', c: 'été', list: ['x', 'y'] });
  assert.equal(r.body, 'a=1&b=hello+world&c=%C3%A9t%C3%A9&list[]=x&list[]=y', 'rawBody()');
});

test('post(): JSON bodies (including through fetch)', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, echoJson((r) => ({ all: plain(r.post()), a: r.post('a'), nested: r.post('nested'), dflt: r.post('zz', 5) })));
  const doc = { a: 1, nested: { b: [1, 2, 'three'] }, s: 'ü' };
  const r = json(await ask(h, worker, withBody('POST', '/j', JSON.stringify(doc), { 'Content-Type': 'application/json' })));
  assert.equal(r.a, 1);
  assert.deepEqual(r.nested, { b: [1, 2, 'three'] });
  assert.equal(r.dflt, 5);
  assert.deepEqual(r.all, doc);
  const res = await fetch(`http://127.0.0.1:${worker.port}/j`, {
    method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ via: 'fetch' }),
  });
  assert.deepEqual((await res.json()).all, { via: 'fetch' });
  // invalid JSON: no fields, no crash, the connection keeps working
  const bad = json(await ask(h, worker, withBody('POST', '/j', '{not json', { 'Content-Type': 'application/json' })));
  assert.deepEqual(bad.all, {});
});

test('rawBody() and body: exact bytes of Content-Length and chunked bodies', T, async (t) => {
  const h = harness(t);
  const seen = [];
  const worker = await httpServer(h, (c, r) => { seen.push(r.body); c.send(r.rawBody()); });
  const binary = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x0d, 0x0a]);
  await ask(h, worker, withBody('PUT', '/b', binary, { 'Content-Type': 'application/octet-stream' }));
  assert.ok(Buffer.isBuffer(seen[0]));
  assert.deepEqual([...seen[0]], [...binary]);
  const r = await ask(h, worker, 'POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n');
  assert.equal(r.text, 'hello world');
  assert.equal(seen[1].toString(), 'hello world');
  const empty = await ask(h, worker, get('/'));
  assert.equal(seen[2].length, 0);
  assert.equal(empty.header('content-length'), '0');
});

// ------------------------------------------------------------------ multipart

function multipart(boundary, parts) {
  const chunks = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(head + '\r\n'), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

test('multipart/form-data: fields and files spooled to temp files, removed after the response', T, async (t) => {
  const h = harness(t);
  let captured;
  const worker = await httpServer(h, async (c, r) => {
    const files = r.file();
    const doc = plain(files.doc);
    const pic = plain(r.file('pic'));
    // the temp files exist while the request is handled, even after an await
    await sleep(50);
    captured = {
      fields: plain(r.post()), title: r.post('title'), doc, pic, missing: r.file('missing') ?? null,
      docContent: fs.readFileSync(doc.tmpName), picContent: fs.readFileSync(pic.tmpName),
      existedAtSend: fs.existsSync(doc.tmpName) && fs.existsSync(pic.tmpName),
    };
    c.send('stored');
  });
  const big = Buffer.alloc(300 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  const boundary = '----nwBoundary' + 'x'.repeat(10);
  const body = multipart(boundary, [
    { name: 'title', data: 'Hello ü' },
    { name: 'doc', filename: 'notes.txt', type: 'text/plain', data: 'line 1\r\n--not-a-boundary\r\nline 3' },
    { name: 'pic', filename: 'p.bin', type: 'application/octet-stream', data: big },
    { name: 'tags[]', data: 'a' },
    { name: 'tags[]', data: 'b' },
  ]);
  const r = await ask(h, worker, withBody('POST', '/upload', body, { 'Content-Type': `multipart/form-data; boundary=${boundary}` }));
  assert.equal(r.text, 'stored');
  assert.equal(captured.title, 'Hello ü');
  assert.deepEqual(captured.fields, { title: 'Hello ü', tags: ['a', 'b'] });
  assert.equal(captured.doc.name, 'notes.txt');
  assert.equal(captured.doc.type, 'text/plain');
  assert.equal(captured.doc.size, Buffer.byteLength('line 1\r\n--not-a-boundary\r\nline 3'));
  assert.equal(captured.doc.error, 0);
  assert.equal(captured.docContent.toString(), 'line 1\r\n--not-a-boundary\r\nline 3');
  assert.equal(captured.pic.size, big.length);
  assert.ok(captured.picContent.equals(big), 'binary upload intact');
  assert.equal(captured.missing, null);
  assert.ok(captured.existedAtSend);
  await until(() => !fs.existsSync(captured.doc.tmpName) && !fs.existsSync(captured.pic.tmpName), 'temp files removed after the response', 3000);
});

test('multipart through fetch FormData; temp files of an unanswered-yet request stay until its response', T, async (t) => {
  const h = harness(t);
  let tmp;
  let respond;
  const worker = await httpServer(h, (c, r) => {
    const f = r.file('upload');
    tmp = f.tmpName;
    respond = () => c.send(new Response(201, {}, JSON.stringify({ name: f.name, size: f.size, type: f.type, field: r.post('field') })));
  });
  const form = new FormData();
  form.append('field', 'value 1');
  form.append('upload', new Blob(['fetch file contents'], { type: 'text/csv' }), 'data.csv');
  const pending = fetch(`http://127.0.0.1:${worker.port}/f`, { method: 'POST', body: form });
  await until(() => respond, 'request handled');
  await sleep(200);
  assert.ok(fs.existsSync(tmp), 'temp file kept until the response is sent');
  respond();
  const res = await pending;
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { name: 'data.csv', size: 19, type: 'text/csv', field: 'value 1' });
  await until(() => !fs.existsSync(tmp), 'temp file removed after the response', 3000);
});

test('uploads are removed when the response is sent after the client has already left', T, async (t) => {
  const h = harness(t);
  let tmp;
  let sent;
  const worker = await httpServer(h, (c, r) => {
    tmp = r.file('f').tmpName;
    setTimeout(() => { sent = c.send('too late'); }, 200);
  });
  const boundary = 'leaveB';
  const body = multipart(boundary, [{ name: 'f', filename: 'a.txt', data: 'abandoned upload' }]);
  const c = await h.connect(worker.port);
  c.write(withBody('POST', '/u', body, { 'Content-Type': `multipart/form-data; boundary=${boundary}` }));
  await until(() => tmp, 'upload received');
  assert.ok(fs.existsSync(tmp));
  c.destroy();
  await until(() => sent !== undefined, 'handler sent');
  assert.equal(sent, false, 'send() on a closed connection returns false');
  await until(() => !fs.existsSync(tmp), 'temp file removed', 3000);
});

test('uploads of a request never answered are removed when its connection closes', T, async (t) => {
  const h = harness(t);
  let tmp;
  const worker = await httpServer(h, (c, r) => { tmp = r.file('f').tmpName; /* never answers */ });
  const boundary = 'neverB';
  const body = multipart(boundary, [{ name: 'f', filename: 'a.txt', data: 'never answered' }]);
  const c = await h.connect(worker.port);
  c.write(withBody('POST', '/u', body, { 'Content-Type': `multipart/form-data; boundary=${boundary}` }));
  await until(() => tmp, 'upload received');
  assert.ok(fs.existsSync(tmp));
  c.destroy();
  await until(() => !fs.existsSync(tmp), 'temp file removed after the connection closed', 3000);
});

test('multipart size limits: a file over Request.uploads.maxFileSize gets error 1 and no temp file; a body over maxPackageSize is 413', T, async (t) => {
  const h = harness(t);
  const saved = Request.uploads.maxFileSize;
  Request.uploads.maxFileSize = 1000;
  t.after(() => { Request.uploads.maxFileSize = saved; });
  let seen;
  const worker = await httpServer(h, (c, r) => { seen = { big: plain(r.file('big')), small: plain(r.file('small')) }; c.send('ok'); });
  worker.onConnect = (c) => { c.maxPackageSize = 100_000; };
  const boundary = 'b0undary';
  const body = multipart(boundary, [
    { name: 'big', filename: 'big.bin', type: 'application/octet-stream', data: Buffer.alloc(5000, 1) },
    { name: 'small', filename: 's.txt', type: 'text/plain', data: 'tiny' },
  ]);
  const r = await ask(h, worker, withBody('POST', '/u', body, { 'Content-Type': `multipart/form-data; boundary=${boundary}` }));
  assert.equal(r.status, 200);
  assert.equal(seen.big.error, 1);
  assert.equal(seen.big.tmpName, '');
  assert.equal(seen.small.error, 0);
  assert.equal(seen.small.size, 4);
  const tooBig = multipart(boundary, [{ name: 'f', filename: 'x', data: Buffer.alloc(200_000) }]);
  const c = await h.connect(worker.port);
  c.write(`POST /u HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${tooBig.length}\r\n\r\n`);
  const [r413] = await waitResponses(c, 1);
  assert.equal(r413.status, 413);
});

// ------------------------------------------------------------------ headers, cookies, host, peer

test('header(): lower-case names, case-insensitive lookup, default, repeated headers joined', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, echoJson((r) => ({
    all: plain(r.header()), custom: r.header('X-Custom-Thing'), lower: r.header('x-custom-thing'),
    dflt: r.header('x-none', 'dv'), none: r.header('x-none') ?? null, multi: r.header('x-multi'),
  })));
  const r = json(await ask(h, worker, 'GET / HTTP/1.1\r\nHost: example.org\r\nX-Custom-Thing:   padded value  \r\nX-Multi: a\r\nx-multi: b\r\nACCEPT: */*\r\n\r\n'));
  assert.equal(r.custom, 'padded value');
  assert.equal(r.lower, 'padded value');
  assert.equal(r.dflt, 'dv');
  assert.equal(r.none, null);
  assert.equal(r.multi, 'a, b');
  assert.deepEqual(Object.keys(r.all).sort(), ['accept', 'host', 'x-custom-thing', 'x-multi']);
  assert.equal(r.all.accept, '*/*');
});

test('cookie(): all, by name, default', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, echoJson((r) => ({
    all: plain(r.cookie()), a: r.cookie('a'), b: r.cookie('b'), dflt: r.cookie('z', 'zz'), none: r.cookie('z') ?? null,
  })));
  const r = json(await ask(h, worker, get('/', { Cookie: 'a=1; b=two words; c=x=y' })));
  assert.deepEqual(r.all, { a: '1', b: 'two words', c: 'x=y' });
  assert.equal(r.a, '1');
  assert.equal(r.b, 'two words');
  assert.equal(r.dflt, 'zz');
  assert.equal(r.none, null);
  const none = json(await ask(h, worker, get('/')));
  assert.deepEqual(none.all, {});
});

test('host(), host(true), protocolVersion, remoteAddress, remotePort', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, echoJson((r) => ({
    host: r.host() ?? null, bare: r.host(true) ?? null, ra: r.remoteAddress, rp: r.remotePort,
  })));
  const c = await h.connect(worker.port);
  c.write(get('/', { Host: 'example.com:8080' }));
  let [res] = await waitResponses(c, 1);
  let r = json(res);
  assert.equal(r.host, 'example.com:8080');
  assert.equal(r.bare, 'example.com');
  assert.equal(r.protocolVersion, '1.1');
  assert.equal(r.ra, '127.0.0.1');
  assert.equal(r.rp, c.localPort);
  c.destroy();
  r = json(await ask(h, worker, 'GET / HTTP/1.0\r\nHost: [::1]:9000\r\n\r\n'));
  assert.equal(r.protocolVersion, '1.0');
  assert.equal(r.host, '[::1]:9000');
  assert.equal(r.bare, '[::1]');
  r = json(await ask(h, worker, get('/', { Host: 'plain.example' })));
  assert.equal(r.host, 'plain.example');
  assert.equal(r.bare, 'plain.example');
  r = json(await ask(h, worker, 'GET / HTTP/1.0\r\n\r\n'));
  assert.equal(r.host, null, 'no Host header → undefined');
});

// ------------------------------------------------------------------ sessions

/** Set-Cookie lines of a response, parsed into { name, value, attrs: lower-case set, raw }. */
function setCookies(res) {
  return (res.headers['set-cookie'] ?? []).map((raw) => {
    const [pair, ...attrs] = raw.split(/;\s*/);
    const eq = pair.indexOf('=');
    return { raw, name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs: attrs.map((a) => a.toLowerCase()) };
  });
}

/** A counter handler exercising the session API; `action` is taken from ?do=. */
function sessionHandler(c, r) {
  const s = r.session();
  const action = r.get('do', 'count');
  if (action === 'count') s.set('n', s.get('n', 0) + 1);
  else if (action === 'regenerate') { s.set('n', s.get('n', 0) + 1); s.regenerate(); }
  else if (action === 'set') { s.set('a', 1); s.set('b', { deep: [1, 2] }); }
  else if (action === 'delete') s.delete('a');
  else if (action === 'flush') s.flush();
  c.send(new Response(200, { 'Content-Type': 'application/json' }, JSON.stringify({
    id: s.id, n: s.get('n', 0), all: s.all(), hasA: s.has('a'), hasB: s.has('b'), getAll: s.get(),
  })));
}

async function sessionFlow(t, h, worker, store) {
  // first request: a new session and its cookie
  const r1 = await ask(h, worker, get('/?do=count'));
  const [cookie] = setCookies(r1);
  assert.ok(cookie, `Set-Cookie expected: ${r1.rawHead}`);
  assert.equal(cookie.name, Request.session.name);
  assert.ok(cookie.attrs.includes('httponly'), `HttpOnly: ${cookie.raw}`);
  assert.ok(cookie.attrs.includes('samesite=lax'), `SameSite=Lax: ${cookie.raw}`);
  assert.ok(cookie.attrs.includes('path=/'), `Path=/: ${cookie.raw}`);
  const id = cookie.value;
  assert.ok(Session.isValidId(id));
  assert.equal(json(r1).id, id);
  assert.equal(json(r1).n, 1);
  // saved when the response was sent (not later, not by GC)
  assert.deepEqual(plain(store.read(id)), { n: 1 });

  // persists across requests and connections
  const r2 = await ask(h, worker, get('/?do=count', { Cookie: `${cookie.name}=${id}` }));
  assert.equal(json(r2).n, 2);
  assert.equal(json(r2).id, id);
  assert.equal(setCookies(r2).find((x) => x.name === cookie.name)?.value ?? id, id, 'same id kept');
  const r3 = await ask(h, worker, get('/?do=count', { Cookie: `other=1; ${cookie.name}=${id}` }));
  assert.equal(json(r3).n, 3);

  // set / has / all / delete / flush
  let r = json(await ask(h, worker, get('/?do=set', { Cookie: `${cookie.name}=${id}` })));
  assert.deepEqual(r.all, { n: 3, a: 1, b: { deep: [1, 2] } });
  assert.deepEqual(r.getAll, r.all);
  assert.equal(r.hasA, true);
  r = json(await ask(h, worker, get('/?do=delete', { Cookie: `${cookie.name}=${id}` })));
  assert.equal(r.hasA, false);
  assert.equal(r.hasB, true);
  assert.deepEqual(plain(store.read(id)), { n: 3, b: { deep: [1, 2] } });

  // flush: empty afterwards
  r = json(await ask(h, worker, get('/?do=flush', { Cookie: `${cookie.name}=${id}` })));
  assert.deepEqual(r.all, {});
  r = json(await ask(h, worker, get('/?do=none', { Cookie: `${cookie.name}=${id}` })));
  assert.deepEqual(r.all, {});
  assert.equal(store.read(id), null, 'a flushed session is not kept in the store');

  // a forged / invalid id is not used
  const forged = await ask(h, worker, get('/?do=count', { Cookie: `${cookie.name}=../../etc/passwd` }));
  const forgedCookie = setCookies(forged)[0];
  assert.ok(forgedCookie && Session.isValidId(forgedCookie.value), 'a fresh valid id replaces an invalid one');
  assert.equal(json(forged).n, 1);
  return { id };
}

/** regenerate(): a new id is sent, the data moves to it, the old id is gone. */
async function regenerateFlow(h, worker, store) {
  const r1 = await ask(h, worker, get('/?do=count'));
  const cookie = setCookies(r1)[0];
  const id = cookie.value;
  await ask(h, worker, get('/?do=count', { Cookie: `${cookie.name}=${id}` })); // n = 2
  const rr = await ask(h, worker, get('/?do=regenerate', { Cookie: `${cookie.name}=${id}` })); // n = 3
  assert.notEqual(json(rr).id, id, 'session.id changes on regenerate()');
  const [fresh] = setCookies(rr);
  assert.ok(fresh, `regenerate() must send the new id in Set-Cookie; response head:\n${rr.rawHead}`);
  assert.equal(fresh.name, cookie.name);
  assert.notEqual(fresh.value, id, 'regenerate changes the id');
  assert.ok(fresh.attrs.includes('httponly') && fresh.attrs.includes('samesite=lax'));
  assert.equal(json(rr).id, fresh.value);
  let r = json(await ask(h, worker, get('/?do=count', { Cookie: `${cookie.name}=${fresh.value}` })));
  assert.equal(r.n, 4, 'data kept under the new id');
  assert.equal(store.read(id), null, 'old id destroyed');
  r = json(await ask(h, worker, get('/?do=none', { Cookie: `${cookie.name}=${id}` })));
  assert.equal(r.n, 0, 'the old id no longer carries the data');
}

test('sessions with the default MemorySessionStore: cookie NWSID; HttpOnly; SameSite=Lax; persistence; regenerate; flush', T, async (t) => {
  const h = harness(t);
  assert.equal(Request.session.name, 'NWSID');
  assert.ok(Request.session.store instanceof MemorySessionStore, 'MemorySessionStore is the default');
  assert.equal(typeof Request.session.lifetime, 'number');
  const worker = await httpServer(h, sessionHandler);
  await sessionFlow(t, h, worker, Request.session.store);
});

test('session regenerate() with the MemorySessionStore: new id sent as NWSID, data moved, old id destroyed', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, sessionHandler);
  await regenerateFlow(h, worker, Request.session.store);
});

test('session regenerate() with the FileSessionStore', T, async (t) => {
  const h = harness(t);
  const dir = tmpDir(t, 'sessions-regen');
  const saved = Request.session.store;
  const store = new FileSessionStore(dir);
  Request.session.store = store;
  t.after(() => { Request.session.store = saved; });
  const worker = await httpServer(h, sessionHandler);
  await regenerateFlow(h, worker, store);
});

test('a request that never touches the session gets no session cookie', T, async (t) => {
  const h = harness(t);
  const worker = await httpServer(h, (c) => c.send('no session'));
  const r = await ask(h, worker, get('/'));
  assert.equal(r.headers['set-cookie'], undefined);
});

test('sessions with FileSessionStore in a temp dir; data survives a new store instance', T, async (t) => {
  const h = harness(t);
  const dir = tmpDir(t, 'sessions');
  const saved = Request.session.store;
  const store = new FileSessionStore(dir);
  Request.session.store = store;
  t.after(() => { Request.session.store = saved; });
  const worker = await httpServer(h, sessionHandler);
  await sessionFlow(t, h, worker, store);
  // a new session, then a brand-new store on the same directory (a restart)
  const first = await ask(h, worker, get('/?do=count'));
  const id = setCookies(first)[0].value;
  const files = fs.readdirSync(dir).filter((f) => !f.startsWith('.'));
  assert.ok(files.some((f) => f.includes(id)), `a file for the session in ${dir}: ${files}`);
  Request.session.store = new FileSessionStore(dir);
  const r = json(await ask(h, worker, get('/?do=count', { Cookie: `NWSID=${id}` })));
  assert.equal(r.n, 2, 'read back from disk by a new store');
  assert.equal(fs.statSync(path.join(dir, files.find((f) => f.includes(id)))).mode & 0o077, 0, 'session file not readable by others');
});

test('a custom SessionStore, cookie name and cookie options; saved once when the response is sent', T, async (t) => {
  const h = harness(t);
  const calls = [];
  const data = new Map();
  const custom = {
    read(id) { calls.push(['read', id]); return data.has(id) ? JSON.parse(data.get(id)) : null; },
    write(id, d, lifetime) { calls.push(['write', id, lifetime]); data.set(id, JSON.stringify(d)); },
    destroy(id) { calls.push(['destroy', id]); data.delete(id); },
  };
  const saved = { ...Request.session, cookie: { ...Request.session.cookie } };
  Request.session = { ...Request.session, name: 'MYSID', store: custom, lifetime: 60, cookie: { ...Request.session.cookie, path: '/app' } };
  t.after(() => { Request.session = saved; });
  let writesBeforeSend;
  const worker = await httpServer(h, (c, r) => {
    const s = r.session();
    s.set('x', (s.get('x', 0)) + 1);
    s.set('y', 'two');
    writesBeforeSend = calls.filter((x) => x[0] === 'write').length;
    c.send(String(s.get('x')));
  });
  const r1 = await ask(h, worker, get('/app/'));
  const [ck] = setCookies(r1);
  assert.equal(ck.name, 'MYSID');
  assert.ok(ck.attrs.includes('path=/app'));
  assert.ok(ck.attrs.includes('httponly'));
  assert.equal(writesBeforeSend, 0, 'nothing written before the response');
  const writes = calls.filter((x) => x[0] === 'write');
  assert.equal(writes.length, 1, 'one write per request, at send');
  assert.deepEqual(writes[0], ['write', ck.value, 60]);
  const r2 = await ask(h, worker, get('/app/', { Cookie: `MYSID=${ck.value}` }));
  assert.equal(r2.text, '2');
});
