// Shared by the studio's browser tests: Debian's Chromium driven by
// playwright-core (tests/tools/setup.sh installs both), screenshots as
// artefacts, and an axe-core accessibility check.
//
// Environment: BAAS_URL (the server), NODE_MODULES (tests/tools/node_modules),
// CHROMIUM (default /usr/bin/chromium), ARTEFACTS (where screenshots go).

import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(path.join(process.env.NODE_MODULES || path.resolve('tests/tools/node_modules'), 'x.js'));
const { chromium } = require('playwright-core');

export const BASE = process.env.BAAS_URL || 'http://127.0.0.1:8080';
export const ARTEFACTS = process.env.ARTEFACTS || mkdtempSync(path.join(tmpdir(), 'baas-studio-'));
mkdirSync(ARTEFACTS, { recursive: true });

/**
 * A fresh headless Chromium: its own profile (a new --user-data-dir,
 * removed on close), nothing from the network.
 */
export async function browser(options = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'baas-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ...options,
  });
  const close = context.close.bind(context);
  context.close = async () => { await close(); rmSync(profile, { recursive: true, force: true }); };
  return context;
}

/** A page that fails the test on a console error or an uncaught exception. */
export async function page(context) {
  const tab = await context.newPage();
  tab.errors = [];
  tab.on('pageerror', (error) => tab.errors.push(`uncaught: ${error.message}`));
  tab.on('console', (message) => {
    // A 4xx/5xx the studio asked for on purpose is logged by Chromium as a
    // failed resource: those are expected (validation errors).
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) tab.errors.push(message.text());
  });
  // Generous: the machine may be busy building.
  tab.setDefaultTimeout(30000);
  return tab;
}

let shots = 0;
/** Saves a screenshot of the page as an artefact. */
export async function shot(tab, name) {
  shots += 1;
  const file = path.join(ARTEFACTS, `${String(shots).padStart(2, '0')}-${name}.png`);
  await tab.screenshot({ path: file, fullPage: false });
  return file;
}

/** axe-core on the page: fails on serious and critical violations. */
export async function accessible(tab, label) {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await tab.evaluate(source);
  const result = await tab.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    const text = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`).join('\n  ');
    throw new Error(`accessibility problems on ${label}:\n  ${text}`);
  }
  return result.violations.length;
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs a flow; prints the artefacts' folder; exits 1 on failure. */
export async function run(name, flow) {
  const instance = await browser();
  let tab;
  try {
    tab = await page(instance);
    await flow(tab, instance);
    check(tab.errors.length === 0, `errors in the page:\n  ${tab.errors.join('\n  ')}`);
    console.log(`studio ${name}: ok; screenshots in ${ARTEFACTS}`);
  } catch (error) {
    if (tab) await shot(tab, 'failure').catch(() => {});
    console.error(`studio ${name}: FAILED: ${error.stack || error}\nscreenshots in ${ARTEFACTS}`);
    process.exitCode = 1;
  } finally {
    await instance.close();
  }
}
