// Loads netwright for the netwright servers and turns "not there yet" into a clear
// "unavailable: ..." line with exit code 3, which the runner reports as "not available".
export async function netwright() {
  try {
    return await import('netwright');
  } catch (e) {
    console.log(`unavailable: netwright does not load (${String(e.message).split('\n')[0]}); run npm run build`);
    process.exit(3);
  }
}

// Arguments: [--tls] [--deflate] PORT [more]. A flag picks a variant of the same server.
const args = process.argv.slice(2);
export const flag = (name) => args.includes(`--${name}`);

export function port() {
  const p = Number(args.find((a) => !a.startsWith('--')) || process.env.PORT);
  if (!Number.isInteger(p) || p <= 0) {
    console.error('usage: <server> PORT');
    process.exit(2);
  }
  return p;
}

// new Worker(socketName, options) + listen(); an unknown scheme means that protocol has not landed yet
export function listen(Worker, socketName, setup, options) {
  let w;
  try {
    w = options ? new Worker(socketName, options) : new Worker(socketName);
    setup(w);
    w.listen();
  } catch (e) {
    const scheme = socketName.split(':')[0];
    const why = String(e.message).split('\n')[0].replaceAll(socketName, `${scheme}://…`);
    if (w === undefined || /protocol|scheme|support/i.test(why)) console.log(`unavailable: netwright ${scheme}:// (${why})`);
    else console.log(`failed: ${e.stack || e}`);
    process.exit(w === undefined ? 3 : 1);
  }
  console.log(`ready ${w.port ?? socketName.split(':').pop()}`);
  return w;
}

// The runner's self-signed test certificate (TLS_CERT, TLS_KEY: file paths, made at bench start)
export function tlsFiles() {
  const { TLS_CERT: cert, TLS_KEY: key } = process.env;
  if (!cert || !key) {
    console.error('TLS_CERT and TLS_KEY must name the test certificate and key');
    process.exit(2);
  }
  return { cert, key };
}
