// Parses Mermaid text with the real `mermaid` package (package.json pins the
// version) inside chromium: a blank page, mermaid's self-contained browser
// bundle injected from node_modules (dist/mermaid.min.js, an IIFE that sets
// globalThis.mermaid), then `mermaid.parse(text)`. Nothing is fetched: the
// page is about:blank, the bundle is injected as inline script text, and
// any request the page makes anyway is aborted and reported.
//
// Parsing only: mermaid.parse does not apply maxTextSize (50000 characters by
// default; above it mermaid.render draws "Maximum text size in diagram
// exceeded" instead of the diagram), and it cannot see text that mermaid
// drops silently: in a sequenceDiagram message, note or alias a raw `#`
// starts a comment up to the line's end and `;` ends the statement (`a;`
// parses as `a`, `a; b` fails). Write `#35;` and `#59;` (entities) instead.
//
//   const m = await openMermaid(browser);   // one page, reused
//   await m.parse(text);  // { ok: true, type } | { ok: false, error }
//   await m.close();
//   await parseMermaid(browser, text);       // the same, one page per call
//
// `browser` is a playwright Browser (site.mjs `launch()`).
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The UMD/IIFE bundle of the installed mermaid (no imports, no chunks to fetch). */
export const MERMAID_BUNDLE = path.join(path.dirname(require.resolve('mermaid/package.json')), 'dist/mermaid.min.js');
export const MERMAID_VERSION = require('mermaid/package.json').version;

/** Opens a blank page with mermaid loaded; returns { page, version, parse(text), close() }. */
export async function openMermaid(browser) {
  const page = await browser.newPage();
  const requests = [];
  await page.route('**/*', route => {
    requests.push(route.request().url());
    return route.abort();
  });
  await page.goto('about:blank');
  await page.addScriptTag({ path: MERMAID_BUNDLE });
  await page.evaluate(() => {
    if (!globalThis.mermaid || typeof globalThis.mermaid.parse !== 'function') {
      throw new Error('the mermaid bundle did not define globalThis.mermaid.parse');
    }
    globalThis.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
  });
  const parse = async text => {
    const result = await page.evaluate(async t => {
      try {
        // Throws on a syntax error (suppressErrors is off); a result without
        // a diagram type would be a parse that did not happen: report it.
        const r = await globalThis.mermaid.parse(t);
        if (!r || !r.diagramType) return { ok: false, error: `mermaid.parse returned ${JSON.stringify(r)}` };
        return { ok: true, type: r.diagramType };
      } catch (e) {
        const message = e && (e.message || e.str) ? String(e.message || e.str) : String(e);
        return { ok: false, error: message };
      }
    }, text);
    if (requests.length) {
      return { ok: false, error: `the page tried to fetch ${requests.join(', ')}`, ...(result.ok ? {} : { parseError: result.error }) };
    }
    return result;
  };
  return { page, version: MERMAID_VERSION, parse, close: () => page.close() };
}

/** Parses `text` in a fresh blank page: { ok: true, type } or { ok: false, error }. */
export async function parseMermaid(browser, text) {
  const m = await openMermaid(browser);
  try {
    return await m.parse(text);
  } finally {
    await m.close();
  }
}
