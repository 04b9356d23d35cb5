// Benchmark (not a test): time from navigation to the first frame of the
// web build in headless software Chromium (SwiftShader WebGL2), over
// several loads, plus the .wasm's raw and gzipped size. Figures go to
// docs/PERFORMANCE.md. Usage: web/build.sh && node web/test/first-frame.mjs [LOADS]
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);
const loads = Number(process.argv[2] || 5);

const wasm = readFileSync('web/dist/cqrs-tickets_bg.wasm');
const mb = n => (n / 1e6).toFixed(2);
console.log(`wasm: ${mb(wasm.length)} MB raw, ${mb(gzipSync(wasm, { level: 9 }).length)} MB gzipped (-9)`);

const port = await new Promise(resolve => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const server = spawn('web/serve.sh', [String(port)], { stdio: 'ignore' });
const base = `http://127.0.0.1:${port}/`;
for (let i = 0; i < 50; i++) {
  try {
    if ((await fetch(base)).ok) break;
  } catch {}
  await new Promise(r => setTimeout(r, 100));
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
});
const times = [];
try {
  for (let i = 0; i < loads; i++) {
    // A fresh context each time: nothing cached from the previous load.
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    await page.goto(base);
    await page.waitForFunction(() => window.firstFrameMs !== undefined, null, { timeout: 120_000 });
    times.push(await page.evaluate(() => window.firstFrameMs));
    await context.close();
  }
} finally {
  await browser.close();
  server.kill();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`first frame after navigation, ${loads} cold loads: median ${median.toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms`);
