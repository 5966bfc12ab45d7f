// Headless Chromium for the browser tests: Debian's /usr/bin/chromium (or
// NETWRIGHT_CHROMIUM) driven by playwright-core. `skip` is the reason to skip
// when either is missing, except under NETWRIGHT_REQUIRE_ALL=1 (CI), where the
// test runs and fails loudly.
import fs from 'node:fs';

export const CHROMIUM = process.env.NETWRIGHT_CHROMIUM ?? '/usr/bin/chromium';

export let playwright = null;
try {
  playwright = await import('playwright-core');
} catch {
  playwright = null;
}

let reason = false;
if (!fs.existsSync(CHROMIUM)) reason = 'chromium not installed';
else if (!playwright) reason = 'playwright-core not installed';
if (reason && process.env.NETWRIGHT_REQUIRE_ALL === '1') reason = false;
if (reason) console.log(`skipped: ${reason}`);
export const skip = reason;

/** Flags every browser test starts Chromium with. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
