// Benchmark (not a test): time from navigation to the first frame of the
// web build in headless software Chromium (SwiftShader WebGL2), over
// several loads, plus the .wasm's raw and gzipped size. Figures go to
// docs/PERFORMANCE.md. Usage: web/build.sh && node web/test/first-frame.mjs [LOADS]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { launch, serve } from './site.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);
const loads = Number(process.argv[2] || 5);

const wasm = readFileSync('web/dist/cqrs-tickets_bg.wasm');
const mb = n => (n / 1e6).toFixed(2);
console.log(`wasm: ${mb(wasm.length)} MB raw, ${mb(gzipSync(wasm, { level: 9 }).length)} MB gzipped (-9)`);

const server = await serve();
const base = server.base;
const browser = await launch();
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
  server.stop();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`first frame after navigation, ${loads} cold loads: median ${median.toFixed(0)} ms, min ${times[0].toFixed(0)} ms, max ${times[times.length - 1].toFixed(0)} ms`);
