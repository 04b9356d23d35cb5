// The browser test: serves web/dist, opens it in Debian's chromium through
// playwright-core (no browser download), waits for the first frame, clicks,
// presses space/v/s and a knob key, takes screenshots that must not be
// blank and must differ after input, fails on any console error other than
// the documented harmless ones, shows a clear message when WebGL2 is
// missing, and checks that a shared link
// (?scenario=default&seed=3&tick=600) reports the same fingerprint as the
// native CLI. It plays the default script in guided mode (a pause at each
// step's end, `n` for the next step), opens a link with a safeguard off
// (`disable=idempotency`) and reads the broken invariant in
// `data-invariants` (and `ok` without it), opens a five-vendor world and
// the Sequence view from a link (`view=sequence`).
// Last, it parses the native Mermaid export (`export --format mermaid`: the
// correlation of the first SeatHeld event, and the whole run) with the real
// `mermaid` package inside chromium (web/test/mermaid.mjs), fails with the
// parser's message if it does not parse, and checks that a broken copy fails.
//
// Usage: node web/test/browser.mjs   (after web/build.sh and a debug build)
// Env: CHROMIUM (default /usr/bin/chromium), BIN (the native binary,
// default target/debug/cqrs-tickets), OUT (screenshots, default out/web).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MERMAID_VERSION, openMermaid } from './mermaid.mjs';
import { launch, serve } from './site.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
process.chdir(root);
const BIN = process.env.BIN || 'target/debug/cqrs-tickets';
const OUT = process.env.OUT || 'out/web';
mkdirSync(OUT, { recursive: true });

// Console noise known to be harmless (see docs/PERFORMANCE.md, "Web").
const HARMLESS = [
  /Using exceptions for control flow/, // winit leaves its start-up function by throwing
  /GPU stall due to ReadPixels/, // SwiftShader performance notes
  /WebGL.*(performance|warning)/i,
  /AudioContext/, // autoplay policy (Bevy probes audio)
];

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

function stats(a, b) {
  const args = ['scripts/pngstat.py', a].concat(b ? [b] : []);
  return JSON.parse(execFileSync('python3', args, { encoding: 'utf8' }));
}

const runJson = (...args) => {
  // `run` exits 1 when an invariant breaks (a safeguard off): the report is still on stdout.
  try {
    return JSON.parse(execFileSync(BIN, ['run', '--json', ...args], { encoding: 'utf8' }));
  } catch (e) {
    if (e.stdout) return JSON.parse(e.stdout);
    throw e;
  }
};
const native = runJson('--scenario', 'scenarios/default.ron', '--seed', '3', '--until-tick', '600');
const noIdempotency = runJson('--scenario', 'scenarios/default.ron', '--seed', '1', '--until-tick', '1500',
  '--disable', 'idempotency');
const firstBroken = (noIdempotency.invariants.find(i => !i.ok) || {}).name;

const server = await serve();
const base = server.base;
const browser = await launch();

async function open(query, { noWebGL2 = false, waitForFrame = true } = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  if (noWebGL2) {
    // A browser without WebGL2: getContext('webgl2') answers null.
    await page.addInitScript(() => {
      const get = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
        return kind === 'webgl2' ? null : get.call(this, kind, ...rest);
      };
    });
  }
  const errors = [];
  page.on('console', m => {
    if (m.type() === 'error' && !HARMLESS.some(h => h.test(m.text()))) errors.push(m.text());
  });
  page.on('pageerror', e => {
    if (!HARMLESS.some(h => h.test(String(e)))) errors.push(String(e));
  });
  const t0 = Date.now();
  await page.goto(base + query);
  if (!waitForFrame) return { page, errors, firstFrameMs: null };
  await page.waitForSelector('#bevy[data-tick]', { timeout: 120_000 });
  const firstFrameMs = Date.now() - t0;
  return { page, errors, firstFrameMs };
}

const attr = (page, name) => page.$eval('#bevy', (c, n) => c.getAttribute(n), name);

try {
  // 1. The page, free-running (guided mode off): first frame, input, screenshots.
  const { page, errors, firstFrameMs } = await open('?guided=off');
  // Two clocks: this script's, from before `page.goto` until it sees the
  // attribute (it includes the browser's start-up work for the page), and
  // the page's own, from navigation start to the first frame (the figure
  // `first-frame.mjs` reports and docs/PERFORMANCE.md holds to 3 s).
  const inPageMs = await page.evaluate(() => window.firstFrameMs);
  console.log(`first frame ${firstFrameMs} ms from page.goto (${Math.round(inPageMs)} ms after navigation, in the page)`);
  writeFileSync(`${OUT}/first-frame-ms.txt`, `${firstFrameMs}\n`);
  check(await page.$eval('#overlay', o => o.className === 'hidden'), 'the loading overlay is gone after the first frame');
  await page.waitForTimeout(1500);
  await page.screenshot({ path: `${OUT}/start.png` });
  await page.click('#bevy', { position: { x: 640, y: 400 } });
  const t1 = Number(await attr(page, 'data-tick'));
  await page.keyboard.press('Space'); // pause
  await page.waitForTimeout(500);
  const paused = Number(await attr(page, 'data-tick'));
  await page.waitForTimeout(1000);
  check(Number(await attr(page, 'data-tick')) === paused, 'space pauses (data-tick stops)');
  await page.keyboard.press('s'); // one step
  await page.waitForFunction(p => Number(document.getElementById('bevy').dataset.tick) === p + 1, paused, { timeout: 10_000 })
    .then(() => check(true, 's steps exactly one tick'), () => check(false, 's steps exactly one tick'));
  await page.keyboard.press('1'); // knob: Slow V2
  await page.keyboard.press('v'); // System -> Command view
  await page.keyboard.press('Space'); // run again
  await page.waitForTimeout(2500);
  check(Number(await attr(page, 'data-tick')) > paused + 1, `space resumes (tick ${t1} -> ${await attr(page, 'data-tick')})`);
  await page.screenshot({ path: `${OUT}/after-input.png` });
  const a = stats(`${OUT}/start.png`);
  const b = stats(`${OUT}/after-input.png`, `${OUT}/start.png`);
  console.log('start', JSON.stringify(a), '\nafter input', JSON.stringify(b));
  check(a.std >= 8, 'the first screenshot is not blank');
  check(b.std >= 8, 'the screenshot after input is not blank');
  check(b.differing_pixels > 20_000, 'the screenshot changes after input (Command view over the map)');
  check(errors.length === 0, `no console errors (${errors.join(' | ')})`);
  await page.close();

  // 2. A shared link opens an exact state: same fingerprint as native.
  const link = await open('?scenario=default&seed=3&tick=600&view=events');
  await link.page.waitForFunction(() => document.getElementById('bevy').dataset.tick === '600', null, { timeout: 120_000 });
  await link.page.waitForTimeout(1000);
  const tick = await attr(link.page, 'data-tick');
  const fp = await attr(link.page, 'data-fingerprint');
  check(tick === '600', `the link paused at tick 600 (data-tick ${tick})`);
  check(fp === native.fingerprint, `web fingerprint ${fp} = native ${native.fingerprint}`);
  await link.page.screenshot({ path: `${OUT}/link-events.png` });
  check(stats(`${OUT}/link-events.png`).std >= 8, 'the Events view from the link is not blank');
  check(link.errors.length === 0, `no console errors on the link (${link.errors.join(' | ')})`);
  await link.page.close();

  // 3. Bad link values: a visible error, defaults, a working page.
  const bad = await open('?scenario=nope&seed=abc&view=map');
  await bad.page.waitForTimeout(1500);
  const t = Number(await attr(bad.page, 'data-tick'));
  check(t > 0, `a bad link still runs (tick ${t})`);
  await bad.page.screenshot({ path: `${OUT}/bad-link.png` });
  check(bad.errors.length === 0, `bad values are reported in the app, not as console errors (${bad.errors.join(' | ')})`);
  await bad.page.close();

  // 4. Guided mode (the default for the default script): the run pauses at
  // the end of step 1 (tick 10: step 2 starts at 500 ms, on tick 11 — tick
  // 1 is 0 ms), and `n` plays step 2 to its end (tick 80: step 3 starts at
  // 4000 ms, on tick 81).
  const guided = await open('');
  const tickNow = async p => Number(await attr(p, 'data-tick'));
  await guided.page.waitForFunction(() => document.getElementById('bevy').dataset.tick === '10', null, { timeout: 60_000 })
    .then(() => check(true, 'guided mode pauses at the end of step 1 (tick 10)'),
      async () => check(false, `guided mode pauses at the end of step 1 (tick ${await tickNow(guided.page)})`));
  await guided.page.waitForTimeout(1000);
  check(await tickNow(guided.page) === 10, 'and stays there');
  await guided.page.click('#bevy', { position: { x: 640, y: 400 } });
  await guided.page.keyboard.press('n');
  await guided.page.waitForFunction(() => document.getElementById('bevy').dataset.tick === '80', null, { timeout: 60_000 })
    .then(() => check(true, '`n` plays step 2 to its end (tick 80)'),
      async () => check(false, `\`n\` plays step 2 to its end (tick ${await tickNow(guided.page)})`));
  await guided.page.screenshot({ path: `${OUT}/guided.png` });
  check(guided.errors.length === 0, `no console errors in guided mode (${guided.errors.join(' | ')})`);
  await guided.page.close();

  // 5. A safeguard switched off by the link: the broken invariant is on the
  // canvas, and it is the one the native run reports.
  const atTick = async (query, tick) => {
    const o = await open(query);
    await o.page.waitForFunction(t => document.getElementById('bevy').dataset.tick === String(t), tick, { timeout: 180_000 });
    await o.page.waitForTimeout(500);
    return o;
  };
  const off = await atTick('?scenario=default&seed=1&disable=idempotency&tick=1500', 1500);
  const offInv = await attr(off.page, 'data-invariants');
  check(offInv !== 'ok' && offInv === firstBroken, `disable=idempotency: data-invariants "${offInv}" = native "${firstBroken}"`);
  check(await attr(off.page, 'data-fingerprint') === noIdempotency.fingerprint, 'and the same fingerprint as run --disable idempotency');
  await off.page.screenshot({ path: `${OUT}/safeguard-off.png` });
  check(off.errors.length === 0, `no console errors with a safeguard off (${off.errors.join(' | ')})`);
  await off.page.close();
  const on = await atTick('?scenario=default&seed=1&tick=1500', 1500);
  check(await attr(on.page, 'data-invariants') === 'ok', `without disable= data-invariants is "ok" (${await attr(on.page, 'data-invariants')})`);
  await on.page.close();

  // 6. A five-vendor world: five vendor cards (the screenshot is looked at).
  const five = await atTick('?scenario=five_vendors&tick=110', 110);
  await five.page.screenshot({ path: `${OUT}/five-vendors.png` });
  check(stats(`${OUT}/five-vendors.png`).std >= 8, 'the five-vendor map is not blank');
  check(five.errors.length === 0, `no console errors in the five-vendor world (${five.errors.join(' | ')})`);
  await five.page.close();

  // 6b. The Sequence view from a link: the fast-forward to the tick records
  // the chain, so the diagram is there when the page stops.
  const seq = await atTick('?scenario=default&seed=1&tick=297&view=sequence', 297);
  await seq.page.screenshot({ path: `${OUT}/sequence.png` });
  const seqStats = stats(`${OUT}/sequence.png`, `${OUT}/five-vendors.png`);
  check(seqStats.std >= 8 && seqStats.differing_pixels > 20_000, 'the Sequence view from a link draws its diagram');
  check(seq.errors.length === 0, `no console errors in the Sequence view (${seq.errors.join(' | ')})`);
  await seq.page.close();

  // 7. No WebGL2: a clear message instead of a blank page.
  const old = await open('', { noWebGL2: true, waitForFrame: false });
  await old.page.waitForTimeout(1000);
  const message = await old.page.$eval('#status', e => e.textContent);
  check(/WebGL2/.test(message) && (await old.page.$eval('#overlay', o => o.className)) === 'error',
    `without WebGL2 the page says so ("${message.slice(0, 60)}…")`);
  await old.page.close();

  // 8. The Mermaid export parses with mermaid itself, in chromium: the
  // correlation of the first SeatHeld event (from the JSONL export), then
  // the whole run. A broken copy must fail, or the check proves nothing.
  const exportArgs = ['export', '--scenario', 'scenarios/default.ron', '--seed', '1'];
  const exported = (...args) => execFileSync(BIN, [...exportArgs, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const indent = s => s.trim().replace(/\n/g, '\n      ');
  // Mermaid drops message text silently after a raw `#` (a comment) or `;`
  // (end of statement); entities such as `#35;` are fine. `%%` lines are comments.
  const unsafeLines = text => text.split('\n')
    .filter(l => !l.trim().startsWith('%%') && /[#;]/.test(l.replace(/#\w+;/g, '')));
  const mermaid = await openMermaid(browser);
  try {
    let corr = null;
    try {
      for (const line of exported('--format', 'jsonl').split('\n')) {
        if (!line.trim()) continue;
        const event = JSON.parse(line);
        if (event.type === 'SeatHeld') {
          corr = String(event.correlation_id);
          break;
        }
      }
      check(corr !== null, `the JSONL export has a SeatHeld event (correlation ${corr})`);
    } catch (e) {
      check(false, `export --format jsonl runs: ${indent(String(e.message || e))}`);
    }
    const exports = [];
    if (corr !== null) exports.push([`correlation ${corr}`, ['--correlation', corr]]);
    exports.push(['the whole run', []]);
    for (const [what, extra] of exports) {
      let text;
      try {
        text = exported('--format', 'mermaid', ...extra);
      } catch (e) {
        check(false, `${['export', '--format', 'mermaid', ...extra].join(' ')} runs: ${indent(String(e.message || e))}`);
        continue;
      }
      const lines = text.split('\n').filter(l => l.trim()).length;
      console.log(`Mermaid export of ${what}: ${lines} lines, ${text.length} characters` +
        (text.length > 50_000 ? ' (over mermaid\'s default maxTextSize of 50000: mermaid.render would draw an error)' : ''));
      const result = await mermaid.parse(text);
      const error = result.ok && result.type !== 'sequence' ? `a "${result.type}" diagram, not a sequenceDiagram` : result.error;
      check(result.ok && !error, `the Mermaid export of ${what} parses with mermaid ${MERMAID_VERSION} in chromium` +
        (error ? `: ${indent(error)}` : ''));
      const unsafe = unsafeLines(text);
      check(unsafe.length === 0, `the Mermaid export of ${what} has no raw '#' or ';' in its text` +
        (unsafe.length ? ` (${unsafe.length} lines, first: ${unsafe[0].trim()})` : ''));
      if (extra.length) {
        const broken = await mermaid.parse(text + (text.endsWith('\n') ? '' : '\n') + '    Customer->>: broken\n');
        check(!broken.ok, 'a broken copy (`Customer->>: broken` appended) does not parse' +
          (broken.ok ? '' : ` (${broken.error.split('\n').pop()})`));
      }
    }
  } finally {
    await mermaid.close();
  }
} finally {
  await browser.close();
  server.stop();
}

if (failures.length) {
  console.log(`BROWSER TEST FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('browser test: all checks ok');
