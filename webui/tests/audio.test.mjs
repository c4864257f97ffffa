// Audio mode without sight: the whole path of a professional by the numeric
// keypad alone, deciding each key from what the kiosk said (the speech sink
// of `[speech] record`), never from the screen. The voice is the real engine
// (libespeak-ng); the sink records each utterance with its language and path.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test, startKiosk, launch, openPage, axe, screenshot } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

// What a person hears, and presses.
function ear(file) {
  let heard = 0;
  const all = () => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  return {
    all,
    // Waits for an utterance after the last one waited for that matches `re`.
    async waitFor(re, ms = 6000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const lines = all();
        for (let i = heard; i < lines.length; i += 1) {
          if (re.test(lines[i].text)) { heard = i + 1; return lines[i]; }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`not heard: ${re}; last heard: ${all().slice(-5).map((l) => l.text).join(' | ')}`);
    },
    mark() { heard = all().length; },
  };
}

// A kiosk whose voice is recorded (`[speech] record`), and the ear that
// listens to it. `speech`: more lines of that section; `idle`: the idle time in
// seconds (five minutes: typing by keypad is slow; 0 leaves the default).
async function kioskWithEar({ speech = '', idle = 300, usb = false } = {}) {
  const sinkFile = path.join(mkdtempSync(path.join(tmpdir(), 'kiosk-ear-')), 'spoken.jsonl');
  const ui = idle ? `[ui]\nidle_seconds = ${idle}\n` : '';
  const k = await startKiosk({ ini: `${ui}[speech]\n${speech}record = ${sinkFile}\n`, usb });
  return { k, sink: ear(sinkFile) };
}

// Key by key as on a phone keypad (the Guida's table); the same key twice in
// a row waits a second, as a person does.
const CYCLES = {
  1: ['.', ',', '@', '-', '_', '\'', '/', '1'], 2: ['a', 'b', 'c', 'à', '2'], 3: ['d', 'e', 'f', 'è', 'é', '3'],
  4: ['g', 'h', 'i', 'ì', '4'], 5: ['j', 'k', 'l', '5'], 6: ['m', 'n', 'o', 'ò', '6'], 7: ['p', 'q', 'r', 's', '7'],
  8: ['t', 'u', 'v', 'ù', '8'], 9: ['w', 'x', 'y', 'z', '9'], 0: [' ', '0'],
};
function presses(ch, mode) {
  for (const [key, cycle] of Object.entries(CYCLES)) {
    let c = cycle;
    if (mode === 'cf') c = cycle.filter((x) => /[a-z0-9]/.test(x)).map((x) => x.toUpperCase());
    if (mode === 'pin') c = [key];
    const at = c.indexOf(ch);
    if (at >= 0) return [key, at + 1];
  }
  throw new Error(`no key for ${ch}`);
}
async function typeKeypad(page, text, mode = 'text') {
  let previous = null;
  for (const ch of text) {
    const [key, n] = presses(ch, mode);
    if (key === previous) await page.waitForTimeout(1100);
    for (let i = 0; i < n; i += 1) await page.keyboard.press(`Numpad${key}`);
    previous = key;
  }
  await page.keyboard.press('NumpadEnter');
}

// Presses 2 until the control just heard matches `re`.
async function moveTo(page, sink, re) {
  for (let i = 0; i < 40; i += 1) {
    sink.mark();
    await page.keyboard.press('Numpad2');
    const heard = await sink.waitFor(/ di \d+$/);
    if (re.test(heard.text)) return heard;
  }
  throw new Error(`never reached ${re}`);
}

// Holds 5 for two seconds: audio mode starts and says how it works.
async function startAudio(page, sink) {
  await page.keyboard.down('Numpad5');
  await page.waitForTimeout(2100);
  await page.keyboard.up('Numpad5');
  await sink.waitFor(/^Guida vocale attiva.*2 comando successivo.*5 conferma/);
}

// Logs the demo professional in by keypad: codice fiscale and PIN by
// multi-tap, then «Accedi»; returns when the menu is heard.
async function loginByKeypad(page, sink) {
  await moveTo(page, sink, /^Codice fiscale, campo, vuoto/);
  await page.keyboard.press('Numpad5');
  await sink.waitFor(/^Scrittura nel campo Codice fiscale/);
  await typeKeypad(page, 'RSSMRA80A01H501U', 'cf');
  const cf = await sink.waitFor(/^Fine scrittura: RSSMRA80A01H501U$/);
  assert.equal(cf.personal, true);
  await moveTo(page, sink, /^PIN, campo/);
  await page.keyboard.press('Numpad5');
  const from = sink.all().length;
  await typeKeypad(page, '12345678', 'pin');
  await sink.waitFor(/^Fine scrittura: 8 caratteri$/);
  // Utterances may reach the voice in another order than asked: count them.
  const typed = sink.all().slice(from).map((l) => l.text);
  assert.equal(typed.filter((x) => x === 'asterisco').length, 8, 'each PIN digit heard as "asterisco"');
  assert.ok(!typed.some((x) => /^\d+$/.test(x) || x.includes('12345678')), 'no PIN digit heard');
  await moveTo(page, sink, /^Accedi, pulsante/);
  await page.keyboard.press('Numpad5');
  await sink.waitFor(/^Menu\..*comandi/);
}

test('by keypad and ear alone: log in, write with a topic, send, hear the protocol, log out', async () => {
  const { k, sink } = await kioskWithEar();
  try {
    const page = await openPage(browser, k.url);
    await startAudio(page, sink);
    await page.keyboard.press('Numpad9');
    await sink.waitFor(/^Tasti: 2 comando successivo/);
    await loginByKeypad(page, sink);

    await moveTo(page, sink, /^Nuova comunicazione, Scrivere all'INPS/);
    await page.keyboard.press('Numpad5');
    await sink.waitFor(/^Nuova comunicazione\..*comandi/);
    const topic = await moveTo(page, sink, /, pulsante, \d+ di/);
    await page.keyboard.press('Numpad5');
    await sink.waitFor(new RegExp(`^${topic.text.split(',')[0]}.*selezionato`));
    await moveTo(page, sink, /^Oggetto, campo/);
    await page.keyboard.press('Numpad5');
    await typeKeypad(page, 'rimborso');
    await sink.waitFor(/^Fine scrittura: rimborso$/);
    await moveTo(page, sink, /^Testo, campo/);
    await page.keyboard.press('Numpad5');
    await typeKeypad(page, 'chiedo il rimborso');
    await sink.waitFor(/^Fine scrittura: chiedo il rimborso$/);
    assert.deepEqual(await axe(page), [], 'axe in audio mode');
    await moveTo(page, sink, /^Invia, pulsante/);
    await page.keyboard.press('Numpad5');
    const done = await sink.waitFor(/Numero di protocollo INPS\.0000\.\d{4}\.\d{7}/, 10000);
    assert.equal(done.personal, true);
    await screenshot(page, 'audio-sent');

    await moveTo(page, sink, /^Esci, pulsante/);
    await page.keyboard.press('Numpad5');
    await page.waitForSelector('#goodbye');
    await page.waitForSelector('#main h1', { timeout: 15000 });
    await page.waitForFunction(() => !document.getElementById('goodbye'), null, { timeout: 15000 });
    // The next person starts silent.
    const before = sink.all().length;
    await page.keyboard.press('Numpad2');
    await page.keyboard.press('Numpad5');
    await page.waitForTimeout(800);
    assert.equal(sink.all().length, before, 'audio mode ended with the session');

    const all = sink.all();
    assert.ok(all.length > 40);
    assert.ok(all.every((l) => l.lang === 'it' && l.path === 'headphones'));
    assert.deepEqual(page.errors, []);
  } finally {
    await k.stop();
  }
});

test('by keypad: the contrast toggle says its new state and keeps the place', async () => {
  // The header used to be drawn anew on this press: the focus fell to the
  // page, nothing was said, and the next "2" started again from the top.
  const { k, sink } = await kioskWithEar();
  try {
    const page = await openPage(browser, k.url);
    await startAudio(page, sink);
    await moveTo(page, sink, /^Alto contrasto, pulsante, \d+ di/);
    await page.keyboard.press('Numpad5');
    await sink.waitFor(/^Alto contrasto, pulsante, selezionato, \d+ di \d+$/);
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('contrast')), true);
    sink.mark();
    await page.keyboard.press('Numpad2');
    await sink.waitFor(/^Guida, collegamento, \d+ di/);
  } finally {
    await k.stop();
  }
});

test('on a loudspeaker kiosk nothing personal is spoken', async () => {
  const { k, sink } = await kioskWithEar({ speech: 'output = loudspeaker\n', idle: 0 });
  try {
    const page = await openPage(browser, k.url);
    await startAudio(page, sink);
    await moveTo(page, sink, /^Codice fiscale, campo/);
    await page.keyboard.press('Numpad5');
    await typeKeypad(page, 'RSS', 'cf');
    await sink.waitFor(/^Dato personale: si ascolta solo in cuffia\.$/);
    const all = sink.all();
    assert.ok(all.every((l) => l.path === 'loudspeaker' && !l.personal));
    assert.ok(!all.some((l) => /RSS|^R$|^S$/.test(l.text)), 'no letter of the codice fiscale on the loudspeaker');
  } finally {
    await k.stop();
  }
});

// The staff's reply, as the counter writes it (through the API: the test's
// other person, not the listener's screen).
async function staffReplies(url, text) {
  const login = await fetch(`${url}/api/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'sportello', password: 'sportello-demo' }) });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await login.json();
  const headers = { Cookie: cookie, 'X-CSRF-Token': csrf };
  const queue = await (await fetch(`${url}/api/staff/communications`, { headers })).json();
  const id = queue.items[0].id;
  await fetch(`${url}/api/staff/communications/${id}/take`, { method: 'POST', headers });
  const form = new FormData();
  form.append('body', text);
  const r = await fetch(`${url}/api/staff/communications/${id}/messages`, { method: 'POST', headers, body: form });
  assert.equal(r.status, 201, await r.text());
}

test('by keypad and ear: a file from the USB stick, the receipt to the PEC, a reply heard, contacts', async () => {
  const { k, sink } = await kioskWithEar({ usb: true });
  try {
    const page = await openPage(browser, k.url);
    await startAudio(page, sink);
    await loginByKeypad(page, sink);
    await k.insertStick();  // the person puts the stick in

    await moveTo(page, sink, /^Nuova comunicazione, /);
    await page.keyboard.press('Numpad5');
    await sink.waitFor(/^Nuova comunicazione\./);
    await moveTo(page, sink, /, pulsante, \d+ di/);  // the first topic
    await page.keyboard.press('Numpad5');
    await moveTo(page, sink, /^Oggetto, campo/);
    await page.keyboard.press('Numpad5');
    await typeKeypad(page, 'nota');
    await moveTo(page, sink, /^Testo, campo/);
    await page.keyboard.press('Numpad5');
    await typeKeypad(page, 'allego');
    await moveTo(page, sink, /^Da chiavetta USB, pulsante/);
    await page.keyboard.press('Numpad5');
    await sink.waitFor(/documento\.pdf/);  // the stick's files, read out
    await moveTo(page, sink, /^Allega, documento\.pdf/);
    await page.keyboard.press('Numpad5');
    await moveTo(page, sink, /^Invia, pulsante/);
    await page.keyboard.press('Numpad5');
    await sink.waitFor(/Numero di protocollo INPS\.0000\.\d{4}\.\d{7}.*Allegati, 1/, 10000);

    await moveTo(page, sink, /PEC, pulsante/);
    await page.keyboard.press('Numpad5');
    const mailed = await sink.waitFor(/La ricevuta sarà inviata alla PEC mario\.rossi@pec\.example\.com/);
    assert.equal(mailed.personal, true, 'an address is personal');

    await staffReplies(k.url, 'Abbiamo ricevuto il documento.');
    await page.keyboard.press('Numpad0');  // back to the menu
    await sink.waitFor(/^Menu\..*1 comunicazione da leggere/);
    await moveTo(page, sink, /^Da leggere, /);
    await page.keyboard.press('Numpad5');  // one thread to read: it opens at once
    const thread = await sink.waitFor(/^nota\. In carico.*Numero di protocollo, INPS.*allego.*INPS · .*Abbiamo ricevuto il documento\./);
    assert.equal(thread.personal, true);

    await page.keyboard.press('Numpad0');
    await sink.waitFor(/^Menu\./);
    await moveTo(page, sink, /^Contatti, /);
    await page.keyboard.press('Numpad5');
    await sink.waitFor(/^Contatti\./);
    const pec = await moveTo(page, sink, /^PEC \(obbligatoria\), campo, mario\.rossi@pec\.example\.com/);
    assert.equal(pec.personal, true);
    const email = await moveTo(page, sink, /^PEC, casella, (selezionata|non selezionata)/);  // a notification channel
    await page.keyboard.press('Numpad5');
    await sink.waitFor(new RegExp(`^PEC, casella, ${/non selezionata/.test(email.text) ? 'selezionata' : 'non selezionata'}`));
    assert.deepEqual(await axe(page), [], 'axe in audio mode (contacts)');
    assert.deepEqual(page.errors, []);
  } finally {
    await k.stop();
  }
});
