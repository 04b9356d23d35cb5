// Shared by the browser test and the first-frame benchmark: serve
// web/dist on a free local port (web/serve.sh) and launch Debian's chromium
// through playwright-core with the flags this machine needs (no sandbox as
// root; no background networking, which the closed network refuses).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts web/serve.sh; resolves to { base, stop } once it answers. */
export async function serve() {
  const port = await freePort();
  const server = spawn('web/serve.sh', [String(port)], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 50; i++) {
    try {
      if ((await fetch(base)).ok) break;
    } catch {}
    await new Promise(r => setTimeout(r, 100));
  }
  return { base, stop: () => server.kill() };
}

/** Headless chromium (CHROMIUM, default /usr/bin/chromium). */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
}
