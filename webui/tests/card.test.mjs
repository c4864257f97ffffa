// Card login in Chromium, by touch: the identity cards of
// tests/card/make_cards.sh (SoftHSM2 tokens) in the test reader module
// (tests/card/fake_reader.c); the test puts a card in and takes it out by
// writing the reader's state files, as a hand at the desk would.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  test, root, startKiosk, launch, openPage, axe, screenshot, tap, typeOsk,
} from './helpers.mjs';

const module = process.env.KIOSK_TEST_READER_MODULE || path.join(root, 'build/tests/fake_reader_pkcs11.so');
let browser;
let cards;
before(async () => {
  assert.ok(existsSync(module), `the test reader module is built: ${module}`);
  cards = path.join(mkdtempSync(path.join(tmpdir(), 'kiosk-cards-')), 'cards');
  execFileSync('bash', [path.join(root, 'tests/card/make_cards.sh'), cards], { stdio: 'inherit' });
  browser = await launch();
});
after(async () => {
  await browser.close();
  rmSync(path.dirname(cards), { recursive: true, force: true });
});

const reader = () => path.join(cards, 'reader');
const insert = (label) => writeFileSync(path.join(reader(), 'inserted'), `${label}\n`);
const takeOut = () => rmSync(path.join(reader(), 'inserted'), { force: true });

function withReader({ pinLogin = true } = {}) {
  // A fresh PIN counter for every kiosk: each test starts with the cards' 3 tries.
  for (const label of ['cie-rossi']) rmSync(path.join(reader(), `tries-${label}`), { force: true });
  takeOut();
  return startKiosk({
    ini: `[ui]\nidle_seconds = 60\n[card]\nmodule = ${module}\nca_bundle = ${cards}/ca.pem\n` +
      `crl = ${cards}/crl.pem\npin_login = ${pinLogin}\n`,
    env: { SOFTHSM2_CONF: path.join(cards, 'softhsm2.conf'), KIOSK_TEST_READER_DIR: reader() },
  });
}

async function noViolations(page, screen) {
  assert.deepEqual(await axe(page), [], `axe on ${screen}`);
}

for (const [name, viewport] of [['portrait', { width: 1080, height: 1920 }], ['landscape', { width: 1920, height: 1080 }]]) {
  test(`card in, card PIN on the PIN pad, menu; card out ends the session (${name})`, async () => {
    const kiosk = await withReader();
    try {
      const page = await openPage(browser, kiosk.url, viewport);
      await page.waitForSelector('#card-prompt');
      assert.match(await page.textContent('#card-prompt'), /Inserisca la carta d'identità elettronica o la tessera sanitaria/);
      assert.ok(await page.$('#card-prompt svg'), 'a picture of where the card goes');
      assert.ok(await page.$('#pin-login'), 'the kiosk PIN is one tap away');
      await noViolations(page, 'card prompt');
      await screenshot(page, `card-insert-${name}`);

      insert('cie-rossi');
      const t0 = Date.now();
      await page.waitForSelector('#card-form input[name=card_pin]', { timeout: 1500 });
      assert.ok(Date.now() - t0 < 1500, 'the screen sees the card within a second or so');
      // The card's PIN pad has digits only.
      await page.tap('#card-form input[name=card_pin]');
      await page.waitForSelector('#osk:not([hidden])');
      const keys = await page.$$eval('#osk button[data-key]', (els) => els.map((e) => e.dataset.key).filter((k) => k.length === 1));
      assert.deepEqual([...keys].sort(), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      await noViolations(page, 'card PIN');
      await screenshot(page, `card-pin-${name}`);
      await typeOsk(page, '#card-form input[name=card_pin]', '12345678');
      await tap(page, '#card-login');  // the keyboard is still open: the first tap logs in
      await page.waitForSelector('#tile-contacts');
      assert.match(await page.textContent('header'), /Mario Rossi/);

      takeOut();
      const t1 = Date.now();
      await page.waitForSelector('#goodbye[data-reason=card]', { timeout: 2000 });
      assert.ok(Date.now() - t1 < 2000);
      assert.doesNotMatch(await page.textContent('body'), /Rossi|RSSMRA/);
      assert.equal(await page.evaluate(async () => (await fetch('/api/session')).status), 401);
      await tap(page, '#goodbye-done');
      await page.waitForSelector('#card-prompt');
      assert.deepEqual(page.errors, []);
    } finally {
      await kiosk.stop();
    }
  });
}

test('a wrong card PIN says how many tries the card has left; the kiosk PIN is one tap away', async () => {
  const kiosk = await withReader();
  try {
    const page = await openPage(browser, kiosk.url);
    insert('cie-rossi');
    await page.waitForSelector('#card-form');
    await typeOsk(page, '#card-form input[name=card_pin]', '11111111');
    await tap(page, '#card-login');
    await page.waitForSelector('.kiosk-error');
    assert.match(await page.textContent('.kiosk-error'), /PIN della carta errato\. Restano 2 tentativi/);
    await typeOsk(page, '#card-form input[name=card_pin]', '22222222');
    await tap(page, '#card-login');
    await page.waitForFunction(() => /Resta 1 solo tentativo/.test(document.querySelector('.kiosk-error').textContent));
    await noViolations(page, 'card PIN wrong');
    await screenshot(page, 'card-pin-wrong');
    // Someone without the card's PIN logs in with the kiosk PIN instead.
    await tap(page, '#pin-login');
    await page.waitForSelector('input[name=codice_fiscale]');
    await tap(page, '#card-login-link');
    await page.waitForSelector('#card-form');
    takeOut();
    await page.waitForSelector('#card-prompt', { timeout: 1500 });
  } finally {
    await kiosk.stop();
  }
});

test('an office that switched the kiosk PIN off shows the card only', async () => {
  const kiosk = await withReader({ pinLogin: false });
  try {
    const page = await openPage(browser, kiosk.url);
    await page.waitForSelector('#card-prompt');
    assert.equal(await page.$('#pin-login'), null);
    assert.equal(await page.$('input[name=codice_fiscale]'), null);
    assert.equal(await page.$('#new-pin'), null);
    assert.ok(await page.$('#staff-corner'), 'staff still log in from the corner');
  } finally {
    await kiosk.stop();
  }
});

test('by keypad and ear: the card, its PIN as asterisks, the menu', async () => {
  const sinkFile = path.join(mkdtempSync(path.join(tmpdir(), 'kiosk-ear-')), 'spoken.jsonl');
  for (const label of ['cie-rossi']) rmSync(path.join(reader(), `tries-${label}`), { force: true });
  takeOut();
  const kiosk = await startKiosk({
    ini: `[card]\nmodule = ${module}\nca_bundle = ${cards}/ca.pem\ncrl = ${cards}/crl.pem\n[speech]\nrecord = ${sinkFile}\n`,
    env: { SOFTHSM2_CONF: path.join(cards, 'softhsm2.conf'), KIOSK_TEST_READER_DIR: reader() },
  });
  const heard = () => (existsSync(sinkFile) ? readFileSync(sinkFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text) : []);
  const waitHeard = async (re, from = 0) => {
    for (let i = 0; i < 120; i += 1) {
      const found = heard().slice(from).find((x) => re.test(x));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`not heard: ${re}; last: ${heard().slice(-4).join(' | ')}`);
  };
  try {
    const page = await openPage(browser, kiosk.url);
    await page.keyboard.down('Numpad5');
    await page.waitForTimeout(2100);
    await page.keyboard.up('Numpad5');
    await waitHeard(/^Guida vocale attiva/);
    insert('cie-rossi');
    await waitHeard(/Carta inserita\. Digiti il PIN della carta/);
    let mark = heard().length;
    for (let i = 0; i < 20 && !heard().slice(mark).some((x) => /^PIN della carta, campo/.test(x)); i += 1) {
      mark = heard().length;
      await page.keyboard.press('Numpad2');
      await waitHeard(/ di \d+$/, mark);
    }
    await page.keyboard.press('Numpad5');
    mark = heard().length;
    for (const d of '12345678') await page.keyboard.press(`Numpad${d}`);
    await page.keyboard.press('NumpadEnter');
    await waitHeard(/^Fine scrittura: 8 caratteri$/, mark);
    assert.equal(heard().slice(mark).filter((x) => x === 'asterisco').length, 8);
    assert.ok(!heard().slice(mark).some((x) => /^\d+$/.test(x)), 'no PIN digit heard');
    for (let i = 0; i < 20 && !heard().slice(mark).some((x) => /^Accedi, pulsante/.test(x)); i += 1) {
      const m = heard().length;
      await page.keyboard.press('Numpad2');
      await waitHeard(/ di \d+$/, m);
    }
    await page.keyboard.press('Numpad5');
    await waitHeard(/^Menu\./, mark);
    assert.ok(!heard().some((x) => x.includes('12345678')));
  } finally {
    await kiosk.stop();
  }
});
