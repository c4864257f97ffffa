// Shared by the browser tests: a real kiosk on a fresh SQLite file, Debian's
// Chromium driven by playwright-core, axe-core checks, screenshots.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync, readFileSync, copyFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { test as nodeTest } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const bin = process.env.KIOSK_BIN || path.join(root, 'build/cassetto-kiosk');
export const shots = process.env.KIOSK_SCREENSHOTS || path.join(root, 'build/webui-screenshots');
export const files = path.join(root, 'tests/fixtures/files');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
mkdirSync(shots, { recursive: true });

// Starts `cassetto-kiosk serve --demo` on a free port with a fresh database.
// `config`: a file in tests/; `ini`: INI text written to a temporary file;
// `env`: extra environment (SANE_CONFIG_DIR for the scanner); `usb`: a USB
// stick (a folder) holding the test files, plus `{name: Buffer}` extras. As
// at a real kiosk the stick goes in after the login (one already there at
// login is someone else's and is not shown): `kiosk.insertStick()`, which
// `attachFromUsb` calls the first time.
let pendingStick = null;
export async function startKiosk({ config, ini, env, usb } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-ui-'));
  const args = ['serve', '--demo', '--db', path.join(dir, 'kiosk.db'), '--listen', '127.0.0.1:0'];
  let insertStick = async () => {};
  if (usb) {
    const stick = path.join(dir, 'usb');
    insertStick = async () => {
      if (existsSync(stick)) return;
      mkdirSync(stick);
      for (const f of readdirSync(files)) if (f !== 'make_samples.py') copyFileSync(path.join(files, f), path.join(stick, f));
      for (const [name, content] of Object.entries(usb === true ? {} : usb)) writeFileSync(path.join(stick, name), content);
    };
    pendingStick = insertStick;
    ini = `${config ? readFileSync(path.join(here, config), 'utf8') : ''}\n${ini || ''}\n[usb]\nmount = ${stick}\n`;
    config = undefined;
  }
  if (config) args.push('--config', path.join(here, config));
  if (ini) {
    writeFileSync(path.join(dir, 'kiosk.conf'), ini);
    args.push('--config', path.join(dir, 'kiosk.conf'));
  }
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kiosk did not start: ${output}`)), 15000);
    proc.stdout.on('data', (chunk) => {
      output += chunk;
      const m = output.match(/listening on (http:\/\/[0-9.]+:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.stderr.on('data', (chunk) => { output += chunk; });
    proc.on('exit', (code, signal) => reject(new Error(`kiosk exited ${code ?? signal}: ${output}`)));
  });
  return {
    url,
    dir,
    insertStick,
    // Taken out and put in again, during the current session.
    async reinsertStick() {
      if (!usb) return;
      rmSync(path.join(dir, 'usb'), { recursive: true, force: true });
      await insertStick();
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

// node:test's `test`, telling more when a browser test fails: what each page
// it opened showed at that moment (address, header, main text, focus) goes
// into the error, and a screenshot of it to FAILED-<test>-<n>.png. A timeout
// alone names a selector, not what the person was looking at.
const openedPages = [];
export function test(name, fn) {
  const slug = name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60);
  return nodeTest(name, async (t) => {
    openedPages.length = 0;
    // A screenshot of an earlier failure of this test is not left to mislead.
    for (const f of readdirSync(shots)) if (f.startsWith(`FAILED-${slug}-`)) rmSync(path.join(shots, f), { force: true });
    try {
      await fn(t);
    } catch (err) {
      const seen = [];
      for (const [i, page] of openedPages.entries()) {
        seen.push(`page ${i}: ${await whatPageShows(page, `FAILED-${slug}-${i}.png`)}`);
      }
      if (seen.length) err.message += `\n  what the screen showed:\n  ${seen.join('\n  ')}`;
      throw err;
    }
  });
}

// One line of what `page` shows now, and its screenshot to `file` in shots.
async function whatPageShows(page, file) {
  try {
    await page.screenshot({ path: path.join(shots, file), timeout: 5000 });
    return await page.evaluate(() => {
      const text = (sel) => (document.querySelector(sel)?.innerText || '').replace(/\s+/g, ' ').slice(0, 400);
      const f = document.activeElement;
      return `${location.hash || '/'} | html.${document.documentElement.className} | top: ${text('#top')}`
        + ` | main: ${text('#main')} | focus: ${f ? `${f.tagName} ${f.id || f.getAttribute('aria-label') || ''}` : '-'}`;
    });
  } catch (e) {
    return `not readable (${e.message.split('\n')[0]})`;
  }
}

// A page in a fresh context, portrait kiosk screen by default. Fails the test
// on any script error. `desk`: a staff PC on the LAN, which reaches the kiosk
// through the TLS proxy (its X-Forwarded-For), rather than the kiosk's screen.
export async function openPage(browser, url, viewport = { width: 1080, height: 1920 }, { desk = false } = {}) {
  // A touch screen: taps reach the page as touch events, then the
  // compatibility mouse events and the click, after the finger lifts.
  const context = await browser.newContext({ viewport, locale: 'it-IT', timezoneId: 'Europe/Rome', hasTouch: true,
    extraHTTPHeaders: desk ? { 'X-Forwarded-For': '10.20.30.40' } : {} });
  const page = await context.newPage();
  openedPages.push(page);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('#main h1');
  return page;
}

// Taps like a person, with a finger (touch events), whether or not the
// on-screen keyboard is open: a person does not close it first.
export async function tap(page, selector, options = {}) {
  await page.tap(selector, options);
}

// Taps a control that has just appeared, once a person could have read it:
// a scan's buttons take no tap in their first 0.45 s (the second tap of a
// double tap must not land on them).
export async function tapSettled(page, selector) {
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel);
    return el && !el.hidden && performance.now() - Number(el.dataset.shownAt || 0) >= 450;
  }, selector);
  await page.tap(selector);
}

// Taps the centre of whatever is at an element's place on the screen now,
// without scrolling: the person taps what they see.
export async function tapAt(page, selector) {
  const [x, y] = await page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return [r.x + r.width / 2, r.y + r.height / 2];
  });
  await page.touchscreen.tap(x, y);
}

// Types like a person at the kiosk: taps the field, empties it with the
// keyboard's clear key if it holds something, then taps one key per
// character, using the shift key where the character needs it. Fails the
// test if a character has no key. Each tap is a touch at the key's centre,
// as a finger lands: whatever covers the key gets it.
export async function typeOsk(page, selector, text) {
  await page.tap(selector);
  await page.waitForSelector('#osk:not([hidden])');
  if (await page.$eval(selector, (el) => el.value !== '')) await tapAt(page, '#osk button[data-key="clear"]');
  const centres = () => page.$$eval('#osk button[data-key]', (els) => Object.fromEntries(els.map((e) => {
    const r = e.getBoundingClientRect();
    return [e.dataset.key, [r.x + r.width / 2, r.y + r.height / 2]];
  })));
  let keys = await centres();
  for (const ch of text) {
    let shifted = false;
    if (!keys[ch]) {
      if (!keys.shift) throw new Error(`no key for ${JSON.stringify(ch)} on the ${await page.$eval(selector, (el) => el.dataset.osk)} keyboard`);
      await page.touchscreen.tap(...keys.shift);
      keys = await centres();
      if (!keys[ch]) throw new Error(`no key for ${JSON.stringify(ch)}, even with shift`);
      shifted = true;
    }
    await page.touchscreen.tap(...keys[ch]);
    if (shifted) keys = await centres();  // a text keyboard drops shift after one letter
  }
}

// Empties a field with the keyboard's clear key.
export async function clearOsk(page, selector) {
  await page.tap(selector);
  await page.waitForSelector('#osk:not([hidden])');
  await tapAt(page, '#osk button[data-key="clear"]');
}

// Attaches files from the USB stick as a person does: opens the stick's list
// and taps "Allega" beside each one.
export async function attachFromUsb(page, names) {
  if (pendingStick) await pendingStick();  // the person puts the stick in first
  for (const name of names) {
    await tap(page, '#from-usb');
    const row = page.locator('#usb-files li', { has: page.locator(`.name:text-is(${JSON.stringify(name)})`) });
    await row.locator('button').tap();
    await page.waitForSelector(`.kiosk-files:not(#usb-files) li .name:text-is(${JSON.stringify(name)})`);
  }
}

export async function loginProfessional(page, cf = 'RSSMRA80A01H501U', pin = '12345678') {
  await typeOsk(page, 'input[name=codice_fiscale]', cf);
  await typeOsk(page, 'input[name=pin]', pin);
  await tap(page, '#login');
}

export async function loginStaff(page, user = 'sportello', password = 'sportello-demo') {
  // On the kiosk's screen the staff's login is behind a discreet corner
  // control; a staff PC shows it at once.
  if (await page.$('#staff-corner')) await tap(page, '#staff-corner');
  await typeOsk(page, 'input[name=username]', user);
  await typeOsk(page, 'input[name=password]', password);
  await tap(page, '#login');
}

// Runs a command of the kiosk's program with `input` on standard input.
export function runKiosk(args, input = '') {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => { out += c; });
    p.stderr.on('data', (c) => { out += c; });
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args[0]} exited ${code}: ${out}`))));
    p.stdin.end(input);
  });
}

// axe-core with the WCAG 2.1 AA tags: returns the violations, empty when clean.
// Injected once per document (the views change without reloading it); only
// the violations come back. Frames are left out: the one frame the kiosk shows
// is Chromium's own PDF viewer.
const axeTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export async function axe(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async (tags) => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'], iframes: false,
    });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  }, axeTags);
}

// One axe rule by id, run even when axe counts it experimental (e.g.
// label-content-name-mismatch, WCAG 2.5.3): returns its violations.
export async function axeRule(page, rule) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async (id) => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'rule', values: [id] }, resultTypes: ['violations'], iframes: false,
    });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, rule);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

export function tempFile(name, content) {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-file-'));
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}
