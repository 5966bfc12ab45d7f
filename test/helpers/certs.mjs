// Test certificates made at test time with the openssl CLI: a CA, server
// certificates signed by it (for localhost/127.0.0.1 and for SNI names), a
// client certificate, and a second CA nobody trusts. Made once per process,
// in a temporary directory removed at exit.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let made;

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir, name) {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
}

/** A leaf signed by `ca`: `names` go into subjectAltName (IP addresses as IP:). */
function makeLeaf(dir, ca, name, names, usage) {
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${names[0]}`,
    '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
}

/**
 * { dir, ca, server: { cert, key }, other: { cert, key } (CN other.test), client: { cert, key },
 *   strangerCa, stranger: { cert, key } (a client cert from an untrusted CA),
 *   encryptedKey, passphrase } — PEM strings, and files in `dir`.
 */
export function testCertificates() {
  if (made) return made;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netwright-certs-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  makeCa(dir, 'ca');
  makeCa(dir, 'stranger-ca');
  makeLeaf(dir, 'ca', 'server', ['localhost', '127.0.0.1'], 'serverAuth');
  makeLeaf(dir, 'ca', 'other', ['other.test', '*.other.test'], 'serverAuth');
  makeLeaf(dir, 'ca', 'client', ['test client'], 'clientAuth');
  makeLeaf(dir, 'stranger-ca', 'stranger', ['stranger'], 'clientAuth');
  openssl(dir, ['pkey', '-in', 'server.key', '-aes256', '-passout', 'pass:open sesame', '-out', 'server-encrypted.key']);
  const read = (file) => fs.readFileSync(path.join(dir, file), 'latin1');
  const pair = (name) => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  made = {
    dir,
    ca: read('ca.crt'),
    strangerCa: read('stranger-ca.crt'),
    server: pair('server'),
    other: pair('other'),
    client: pair('client'),
    stranger: pair('stranger'),
    encryptedKey: read('server-encrypted.key'),
    passphrase: 'open sesame',
  };
  return made;
}
