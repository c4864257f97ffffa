// The touch UI in Debian's Chromium against the real server: the flows a
// professional and a counter clerk go through, the kiosk's idle logout, and
// axe-core (WCAG 2.1 AA) on every screen.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  test, startKiosk, launch, openPage, loginProfessional, loginStaff, axe, screenshot, files, tempFile, tap,
  typeOsk, clearOsk, attachFromUsb, tapSettled,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

// On a staff PC the system file dialog is one of the sources.
async function attach(page, paths) {
  const chooser = page.waitForEvent('filechooser');
  await tap(page, '#choose-file');
  await (await chooser).setFiles(paths);
}

// Runs sqlite3 on `db` with `sql` on standard input (waiting up to 10 s for the kiosk's lock).
function runSqlite(db, sql) {
  return new Promise((resolve, reject) => {
    const p = spawn('sqlite3', ['-cmd', '.timeout 10000', db], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => { out += c; });
    p.stderr.on('data', (c) => { out += c; });
    p.on('exit', (code) => (code === 0 && !/Error/.test(out) ? resolve(out) : reject(new Error(`sqlite3: ${out}`))));
    p.stdin.end(sql);
  });
}

async function noViolations(page, screen) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], `axe on ${screen}`);
}

async function sendOne(page, subject, attachments = []) {
  await tap(page, '#tile-new');
  await page.waitForSelector('#send');
  await tap(page, '[data-topic=rimborso]');
  await typeOsk(page, 'input[name=subject]', subject);
  await typeOsk(page, 'textarea[name=body]', 'Chiedo il rimborso dei contributi versati due volte nel 2025.');
  if (attachments.length) await attachFromUsb(page, attachments);
  await tap(page, '#send');
  await page.waitForSelector('#protocol');
  return (await page.textContent('#protocol')).trim();
}

test('a professional logs in, sends with two attachments and finds it in the sent list', async () => {
  const kiosk = await startKiosk({ usb: true });
  try {
    const page = await openPage(browser, kiosk.url);
    await noViolations(page, 'login');
    await screenshot(page, 'login-portrait');
    await loginProfessional(page);
    await page.waitForSelector('#tile-new');
    assert.match(await page.textContent('.kiosk-header .brand'), /Mario Rossi/);
    await noViolations(page, 'home');
    await screenshot(page, 'home-portrait');

    await tap(page, '#tile-new');
    await page.waitForSelector('#send');
    await tap(page, '[data-topic=rimborso]');
    await typeOsk(page, 'input[name=subject]', 'Rimborso contributi 2025');
    await typeOsk(page, 'textarea[name=body]', 'Chiedo il rimborso dei contributi versati due volte.');
    assert.match(await page.textContent('.kiosk-counter'), /52 \/ 10000/);
    await attachFromUsb(page, ['documento.pdf', 'foto.png']);
    const listed = await page.$$eval('.kiosk-files li .name', (els) => els.map((e) => e.textContent));
    assert.deepEqual(listed, ['documento.pdf', 'foto.png']);
    await noViolations(page, 'compose');
    await screenshot(page, 'compose-portrait');

    await tap(page, '#send');
    await page.waitForSelector('#protocol');
    const protocol = (await page.textContent('#protocol')).trim();
    assert.match(protocol, /^INPS\.0000\.\d{4}\.0000001$/);
    await noViolations(page, 'sent confirmation');
    await screenshot(page, 'sent-portrait');

    await tap(page, '#open-thread');
    await page.waitForSelector('#thread-protocol');
    assert.equal((await page.textContent('#thread-protocol')).trim(), protocol);
    const links = await page.$$eval('.kiosk-message .kiosk-attachment', (els) => els.map((e) => e.textContent));
    assert.equal(links.length, 2);
    assert.match(links[0], /documento\.pdf/);
    await noViolations(page, 'thread');

    await page.goto(`${kiosk.url}/#/inviate`);
    await page.waitForSelector('#list li');
    assert.match(await page.textContent('#list'), new RegExp(protocol.replace(/\./g, '\\.')));
    await noViolations(page, 'sent list');
    await screenshot(page, 'sent-list-portrait');
    assert.deepEqual(page.errors, []);
  } finally {
    await kiosk.stop();
  }
});

test('"Stampa ricevuta" without a printer says so with the server\'s words', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url);
    await loginProfessional(page);
    await page.waitForSelector('#tile-new');
    await sendOne(page, 'Ricevuta da stampare');
    await tap(page, '#print');
    await page.waitForSelector('.kiosk-error');
    assert.match(await page.textContent('.kiosk-error'), /stampante non è disponibile/);
    await noViolations(page, 'print refused');
    // The receipt itself is there for the counter to reprint.
    const res = await page.evaluate(async () => (await fetch('/api/communications/1/receipt.pdf')).status);
    assert.equal(res, 200);
  } finally {
    await kiosk.stop();
  }
});

// Every switch of the login screen (card, PIN, staff) added its three
// listeners again to the same container.
test('switching the login screen back and forth adds no listeners', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url);
    const cdp = await page.context().newCDPSession(page);
    const listeners = async () => {
      const { result } = await cdp.send('Runtime.evaluate', { expression: 'document.querySelector("#main .kiosk-view")' });
      const { listeners: all } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
      return all.filter((l) => l.type === 'pointerdown').length;
    };
    const first = await listeners();
    for (let i = 0; i < 3; i++) {
      await tap(page, '#staff-corner');
      await tap(page, '#back-to-professional');
    }
    await page.waitForSelector('#staff-corner');
    assert.equal(await listeners(), first);
  } finally {
    await kiosk.stop();
  }
});

// A file from the stick (and the scan) went around api.js: its errors came
// in Italian on the English screen, and a lost session showed as an error
// on the open compose screen instead of ending at the welcome screen.
test('a file gone from the stick is told in English on the English screen', async () => {
  const kiosk = await startKiosk({ usb: true });
  try {
    const page = await openPage(browser, kiosk.url);
    await tap(page, 'text=English');
    await page.waitForSelector('text=Welcome');
    await loginProfessional(page);
    await tap(page, '#tile-new');
    await kiosk.insertStick();
    await tap(page, '#from-usb');
    const attach = page.locator('#usb-files li', { has: page.locator('.name:text-is("documento.pdf")') }).locator('button');
    await attach.waitFor();
    rmSync(path.join(kiosk.dir, 'usb', 'documento.pdf'));  // gone before the tap
    await attach.tap();
    await page.waitForSelector('.kiosk-error');
    const said = await page.textContent('.kiosk-error');
    assert.doesNotMatch(said, /chiavetta|trovat|non disponibile|Riprovi/i, `Italian on the English screen: ${said}`);
    assert.match(said, /[A-Za-z]/);
  } finally {
    await kiosk.stop();
  }
});

test('scan two sheets one at a time and pick a file from the USB stick, send, find both in the thread', async () => {
  const sane = mkdtempSync(path.join(tmpdir(), 'sane-'));
  writeFileSync(path.join(sane, 'dll.conf'), 'test\n');
  const stick = mkdtempSync(path.join(tmpdir(), 'usb-'));  // empty: no stick yet
  const kiosk = await startKiosk({
    ini: `[scanner]\ndevice = test\nmode = Gray\n[usb]\nmount = ${stick}\n`,
    env: { SANE_CONFIG_DIR: sane },
  });
  try {
    const page = await openPage(browser, kiosk.url);
    await loginProfessional(page);
    await tap(page, '#tile-new');
    await page.waitForSelector('#scan:not([disabled])');
    // The kiosk's own screen never opens the system file dialog.
    assert.equal(await page.$('#choose-file'), null);
    assert.equal(await page.$('input[type=file]'), null);
    await tap(page, '[data-topic=anagrafica]');
    await typeOsk(page, 'input[name=subject]', 'Modulo scansionato');
    await typeOsk(page, 'textarea[name=body]', 'Allego il modulo compilato e firmato.');
    await tap(page, '#scan');
    await noViolations(page, 'scan panel');
    // A double tap on "Avvia scansione": "Annulla" appears under the finger
    // and must not take the second tap (it cancelled the scan).
    await page.locator('#scan-start').scrollIntoViewIfNeeded();
    const finger = await page.$eval('#scan-start', (el) => {
      const r = el.getBoundingClientRect();
      return [r.x + r.width / 2, r.y + r.height / 2];
    });
    await page.touchscreen.tap(...finger);
    await page.waitForTimeout(150);
    await page.touchscreen.tap(...finger);
    // A flatbed: one sheet, then "Pagina successiva?".
    await page.waitForSelector('#scan-next:not([hidden])');
    assert.match(await page.textContent('#scan-status'), /Pagina 1 acquisita\. Pagina successiva\?/);
    await noViolations(page, 'scan question');
    await screenshot(page, 'scan-next-page-portrait');
    // A busy kiosk answers a poll late: one asked before the tap on
    // "Pagina successiva" must not bring back the question for page 1.
    await page.route('**/api/scan/progress', async (route) => {
      const response = await route.fetch();
      await new Promise((r) => setTimeout(r, 900));
      await route.fulfill({ response });
    });
    await page.waitForTimeout(500);
    await tapSettled(page, '#scan-next');
    await page.waitForSelector('#scan-status:has-text("Pagina 2 acquisita")');
    await tapSettled(page, '#scan-finish');
    await page.waitForSelector('.kiosk-files li:has-text("scansione.pdf")');
    assert.match(await page.textContent('.kiosk-files'), /2 pagine/);
    // Both pages show as pictures before anything is sent (there was no preview).
    const thumbs = page.locator('.kiosk-files li:has-text("scansione.pdf") img.kiosk-page-thumb');
    assert.equal(await thumbs.count(), 2);
    assert.deepEqual(await thumbs.evaluateAll((imgs) => imgs.map((i) => i.alt)),
      ['Pagina 1 della scansione', 'Pagina 2 della scansione']);
    await page.waitForFunction(() => [...document.querySelectorAll('img.kiosk-page-thumb')]
      .every((i) => i.complete && i.naturalWidth > 0));

    // The stick goes in now, during the session.
    copyFileSync(path.join(files, 'documento.pdf'), path.join(stick, 'modulo firmato.pdf'));
    writeFileSync(path.join(stick, '.nascosto.pdf'), 'x');
    copyFileSync(path.join(files, 'script.sh'), path.join(stick, 'script.sh'));
    await tap(page, '#from-usb');
    await page.waitForSelector('#usb-files li');
    const listed = await page.$$eval('#usb-files .name', (els) => els.map((e) => e.textContent));
    assert.deepEqual(listed, ['modulo firmato.pdf', 'script.sh']);  // no hidden file
    // The script is shown, greyed, with the reason and nothing to tap.
    const refused = page.locator('#usb-files li.refused');
    assert.equal(await refused.count(), 1);
    assert.match(await refused.textContent(), /script\.sh.*Tipo di documento non ammesso/);
    assert.equal(await refused.locator('button').count(), 0);
    await noViolations(page, 'usb list');
    await tap(page, '#usb-files li:not(.refused) button');
    await page.waitForSelector('.kiosk-files li:has-text("modulo firmato.pdf")');
    await screenshot(page, 'compose-devices-portrait');

    await tap(page, '#send');
    await page.waitForSelector('#protocol');
    await tap(page, '#open-thread');
    await page.waitForSelector('.kiosk-message .kiosk-attachment');
    const links = await page.$$eval('.kiosk-message .kiosk-attachment', (els) => els.map((e) => e.textContent));
    assert.equal(links.length, 2);
    assert.match(links[0], /scansione\.pdf/);
    assert.match(links[1], /modulo firmato\.pdf/);
  } finally {
    await kiosk.stop();
    rmSync(sane, { recursive: true, force: true });
    rmSync(stick, { recursive: true, force: true });
  }
});

test('"Invia" tapped twice registers one communication', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url);
    await loginProfessional(page);
    await tap(page, '#tile-new');
    await tap(page, '[data-topic=normativa]');
    await typeOsk(page, 'input[name=subject]', 'Quesito');
    await typeOsk(page, 'textarea[name=body]', 'Testo del quesito.');
    // A double tap with the finger, the keyboard still open.
    await page.locator('#send').scrollIntoViewIfNeeded();
    const finger = await page.$eval('#send', (el) => {
      const r = el.getBoundingClientRect();
      return [r.x + r.width / 2, r.y + r.height / 2];
    });
    await page.touchscreen.tap(...finger);
    await page.touchscreen.tap(...finger);
    await page.waitForSelector('#protocol');
    await page.goto(`${kiosk.url}/#/inviate`);
    await page.waitForSelector('#list li');
    assert.equal(await page.locator('#list li').count(), 1);
  } finally {
    await kiosk.stop();
  }
});

test('staff reply: the alert count shows it, opening the thread clears it', async () => {
  const kiosk = await startKiosk();
  try {
    const pro = await openPage(browser, kiosk.url);
    await loginProfessional(pro);
    await pro.waitForSelector('#tile-new');
    const protocol = await sendOne(pro, 'Posizione assicurativa 2024');
    await tap(pro, 'text=Torna al menu');
    await pro.waitForSelector('#tile-new');
    assert.equal(await pro.locator('#unread-alert .count').count(), 0);

    // The counter's PC, through the LAN proxy: it keeps the system file dialog.
    const staff = await openPage(browser, kiosk.url, { width: 1920, height: 1080 }, { desk: true });
    await loginStaff(staff);
    await staff.waitForSelector('#queue li');
    assert.match(await staff.textContent('#queue li'), /Attende risposta/);  // the professional wrote last
    await noViolations(staff, 'staff queue');
    await screenshot(staff, 'staff-queue-landscape');
    await typeOsk(staff, 'input[name=q]', protocol);
    await tap(staff, '#apply-filters');
    await staff.waitForSelector('#queue li');
    await tap(staff, '#queue li a');
    await staff.waitForSelector('#take');
    await tap(staff, '#take');
    await staff.waitForSelector('text=In carico');
    // "In carico" says by whom.
    assert.match(await staff.textContent('#assigned-to'), /^In carico a \S.*\.$/);
    await typeOsk(staff, 'textarea[name=body]', 'La pratica è stata accolta: il rimborso arriverà entro 30 giorni.');
    await attach(staff, [path.join(files, 'nota.txt')]);
    await tap(staff, '#send-message');
    await staff.waitForSelector('.kiosk-message.institute');
    // The clerk is told the reply went out, and to whom.
    assert.match(await staff.textContent('#thread-notice'), /Risposta inviata a Mario Rossi/);
    await noViolations(staff, 'staff thread');
    await screenshot(staff, 'staff-thread-landscape');

    await pro.reload();
    await pro.waitForSelector('#unread-alert .count');
    assert.equal((await pro.textContent('#unread-alert .count')).trim(), '1');
    // Each tile counts its own list: the reply sits in a sent thread, so
    // "Ricevute" has nothing to read and "Inviate" says so.
    await pro.waitForSelector('#tile-sent');
    assert.match(await pro.textContent('#tile-sent'), /1 con una risposta da leggere/);
    assert.doesNotMatch(await pro.textContent('#tile-received'), /da leggere/);
    // The alert leads to the reply, although the thread sits under "Inviate":
    // with one unread thread, straight to it.
    await tap(pro, '#unread-alert');
    await pro.waitForSelector('.kiosk-message.institute');
    assert.equal((await pro.textContent('#thread-protocol')).trim(), protocol);
    assert.match(await pro.textContent('.kiosk-message.institute'), /accolta/);
    await pro.waitForFunction(() => !document.querySelector('#unread-alert .count'));
    await screenshot(pro, 'thread-portrait');

    // Closing asks first; "Annulla" leaves it open, "Sì, chiudi" closes it.
    await typeOsk(staff, 'textarea[name=outcome]', 'Accolta');
    await tap(staff, '#close');
    await staff.waitForSelector('#close-confirm:not([hidden])');
    assert.match(await staff.textContent('#close-confirm'), /Chiudere la comunicazione/);
    await tap(staff, '#close-no');
    await staff.waitForSelector('#close-confirm', { state: 'hidden' });
    assert.doesNotMatch(await staff.textContent('#main'), /Comunicazione chiusa/);
    await tap(staff, '#close');
    await tap(staff, '#close-yes');
    await staff.waitForFunction(() => /Comunicazione chiusa/.test(document.querySelector('#thread-notice')?.textContent || ''));
    assert.match(await staff.textContent('.alert-info'), /Accolta/);
  } finally {
    await kiosk.stop();
  }
});

test('a staff search of fewer than 3 characters says what is needed; "Menu" brings the whole queue back', async () => {
  const kiosk = await startKiosk();
  try {
    const staff = await openPage(browser, kiosk.url, { width: 1366, height: 768 }, { desk: true });
    await loginStaff(staff);
    await staff.waitForSelector('input[name=q]');
    await typeOsk(staff, 'input[name=q]', 'ab');
    await tap(staff, '#apply-filters');
    await staff.waitForSelector('#search-error');
    assert.match(await staff.textContent('#search-error'), /almeno 3 lettere o cifre/);
    // The screen is still the queue's: its menu, filters and the typed search.
    assert.equal(await staff.isVisible('#nav-write'), true);
    assert.equal(await staff.inputValue('input[name=q]'), 'ab');
    await noViolations(staff, 'staff search too short');
    await tap(staff, '#menu');
    await staff.waitForSelector('#search-error', { state: 'detached' });
    assert.equal(await staff.inputValue('input[name=q]'), '');
  } finally {
    await kiosk.stop();
  }
});

test('a queue of more than 1,000 threads says so, and a search narrows it', async () => {
  const kiosk = await startKiosk();
  try {
    // A busy branch: 1,001 threads of the demo professional, written into the file directly.
    await runSqlite(path.join(kiosk.dir, 'kiosk.db'), `
      BEGIN;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001)
      INSERT INTO communications (protocol, professional_id, box, topic, subject, status, unread,
                                  created_at, updated_at)
      SELECT printf('INPS.0000.2025.%07d', i), 1, 'sent', 'rimborso', 'Pratica numero ' || i,
             'aperta', 0, 1767225600 + i * 60, 1767225600 + i * 60 FROM n;
      INSERT INTO messages (communication_id, author, body, created_at)
      SELECT id, 'professional', 'Testo.', created_at FROM communications;
      COMMIT;`);
    const staff = await openPage(browser, kiosk.url, { width: 1920, height: 1080 }, { desk: true });
    await loginStaff(staff);
    await staff.waitForSelector('#queue-capped');
    assert.match(await staff.textContent('#queue-capped'), /Più di 1\.000 comunicazioni/);
    await noViolations(staff, 'staff queue of more than 1,000');
    // A whole protocol number finds its one thread, and the note goes.
    await typeOsk(staff, 'input[name=q]', 'INPS.0000.2025.0000042');
    await tap(staff, '#apply-filters');
    await staff.waitForFunction(() => !document.querySelector('#queue-capped')
      && document.querySelectorAll('#queue li').length === 1);
    assert.match(await staff.textContent('#queue li'), /Pratica numero 42/);
  } finally {
    await kiosk.stop();
  }
});

test('the Institute writes first and the received box shows it unread', async () => {
  const kiosk = await startKiosk();
  try {
    const staff = await openPage(browser, kiosk.url);
    await loginStaff(staff);
    await staff.waitForSelector('#nav-write');
    await tap(staff, '#nav-write');
    await typeOsk(staff, 'input[name=codice_fiscale]', 'RSSMRA80A01H501U');
    await staff.selectOption('select[name=topic]', 'ruoli_versamenti');
    await typeOsk(staff, 'input[name=subject]', 'Avviso di versamento');
    await typeOsk(staff, 'textarea[name=body]', 'Risulta un versamento da regolarizzare.');
    await noViolations(staff, 'write first');
    await tap(staff, '#send');
    await staff.waitForSelector('.kiosk-message.institute');

    const pro = await openPage(browser, kiosk.url);
    await loginProfessional(pro);
    await pro.waitForSelector('#unread-alert .count');
    await tap(pro, '#unread-alert');
    await pro.waitForSelector('.kiosk-message.institute');
    // The Institute started it: there is no receipt of the professional's to print.
    assert.equal(await pro.locator('#print').count(), 0);
    await pro.goto(`${kiosk.url}/#/ricevute`);
    await pro.waitForSelector('#list li');
    await noViolations(pro, 'received list');
  } finally {
    await kiosk.stop();
  }
});

test('a locked account is told to go to the counter, and staff unlock it', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url);
    for (let i = 0; i < 4; i += 1) {
      await loginProfessional(page, 'RSSMRA80A01H501U', '00000000');
      await page.waitForSelector('.kiosk-error');
      const said = await page.textContent('.kiosk-error');
      assert.match(said, /Codice fiscale o PIN errati/);
      // Each wrong try says how many remain before the lock.
      assert.match(said, i === 3 ? /Resta 1 tentativo/ : new RegExp(`Restano ${4 - i} tentativi`));
      await page.evaluate(() => document.querySelector('.kiosk-error').remove());
    }
    await loginProfessional(page, 'RSSMRA80A01H501U', '00000000');
    await page.waitForSelector('.kiosk-error');
    const text = await page.textContent('.kiosk-error');
    // How long, and what to do, said once; the PIN pad stays closed.
    assert.match(text, /Accesso bloccato per 15 minuti/);
    assert.equal(text.match(/sportello/g).length, 1);
    assert.equal(await page.isVisible('#osk'), false);
    await noViolations(page, 'locked message');
    await screenshot(page, 'locked-portrait');

    const staff = await openPage(browser, kiosk.url);
    await loginStaff(staff);
    await staff.waitForSelector('#nav-unlock');
    await tap(staff, '#nav-unlock');
    await typeOsk(staff, 'input[name=codice_fiscale]', 'RSSMRA80A01H501U');
    await tap(staff, '#find-professional');
    // The name and code to compare with the identity document, and the state.
    await staff.waitForSelector('#professional-found');
    assert.equal((await staff.textContent('#professional-name')).trim(), 'Mario Rossi');
    assert.match(await staff.textContent('#professional-found'), /accesso bloccato/);
    assert.match(await staff.textContent('#unlock'), /Sblocca l'accesso/);
    await tap(staff, '#unlock');
    await staff.waitForSelector('#unlocked');
    // The card now says the access is not locked, and nothing offers to unlock it again.
    assert.equal((await staff.textContent('#lock-state')).trim(), 'accesso non bloccato');
    assert.equal(await staff.locator('#unlock').count(), 0);
    // Found again: not locked, so "Nuovo PIN" is the main action.
    await tap(staff, '#find-professional');
    await staff.waitForSelector('#unlock-not-needed');
    assert.equal(await staff.locator('#unlock').count(), 0);
    assert.match(await staff.getAttribute('#pin-reset', 'class'), /btn-primary/);
    await noViolations(staff, 'unlock');

    await page.evaluate(() => document.querySelector('.kiosk-error').remove());
    await loginProfessional(page);
    await page.waitForSelector('#tile-new');
  } finally {
    await kiosk.stop();
  }
});

test('a sixth file is refused before upload with the server\'s wording; the stick shows what cannot be attached', async () => {
  const kiosk = await startKiosk({ usb: { 'grande.pdf': Buffer.alloc(1024 * 1024 + 1, 65) } });
  try {
    const page = await openPage(browser, kiosk.url);
    await loginProfessional(page);
    await page.waitForSelector('#tile-new');
    await kiosk.insertStick();  // put in after the login
    await tap(page, '#tile-new');
    await page.waitForSelector('#from-usb:not([disabled])');
    await attachFromUsb(page, ['documento.pdf', 'foto.png', 'foto.jpg', 'nota.txt', 'elenco.csv']);
    assert.equal(await page.locator('.kiosk-files:not(#usb-files) li').count(), 5);
    await tap(page, '#from-usb');
    await tap(page, '#usb-files li:has(.name:text-is("tabella.xlsx")) button');
    await page.waitForSelector('.kiosk-error');
    assert.match(await page.textContent('.kiosk-error'), /al massimo 5 documenti/);
    assert.equal(await page.locator('.kiosk-files:not(#usb-files) li').count(), 5);
    // Too large and wrong type are listed, greyed, with the reason.
    const reason = async (name) => page.textContent(`#usb-files li.refused:has(.name:text-is("${name}")) .kiosk-refused-reason`);
    assert.match(await reason('grande.pdf'), /Supera la dimensione massima di 1 MB/);
    assert.match(await reason('archivio.zip'), /Tipo di documento non ammesso/);
    assert.match(await reason('programma.elf'), /Tipo di documento non ammesso/);
    await noViolations(page, 'compose with error');
  } finally {
    await kiosk.stop();
  }
});

test('a staff PC on the LAN keeps the system file dialog, with the same limits', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url, { width: 1366, height: 768 }, { desk: true });
    await loginStaff(page);
    await tap(page, '#nav-write');
    await page.waitForSelector('#choose-file');
    const five = ['documento.pdf', 'foto.png', 'foto.jpg', 'nota.txt', 'elenco.csv'].map((f) => path.join(files, f));
    await attach(page, five);
    assert.equal(await page.locator('.kiosk-files li').count(), 5);
    assert.equal(await page.isDisabled('#choose-file'), true);
    await page.setInputFiles('#attachments-input', [path.join(files, 'scansione.tif')]);
    await page.waitForSelector('.kiosk-error');
    assert.match(await page.textContent('.kiosk-error'), /al massimo 5 documenti/);
    await tap(page, '.kiosk-files li button');
    await page.setInputFiles('#attachments-input', [tempFile('grande.pdf', Buffer.alloc(1024 * 1024 + 1, 65))]);
    assert.match(await page.textContent('.kiosk-error'), /supera la dimensione massima di 1 MB/);
    await page.setInputFiles('#attachments-input', [path.join(files, 'archivio.zip')]);
    assert.match(await page.textContent('.kiosk-error'), /non è di un tipo ammesso/);
  } finally {
    await kiosk.stop();
  }
});

test('contacts: PEC is mandatory, a change is saved', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url);
    await loginProfessional(page);
    await tap(page, '#tile-contacts');
    await page.waitForSelector('#save-contacts');
    assert.equal(await page.inputValue('input[name=pec]'), 'mario.rossi@pec.example.com');
    await noViolations(page, 'contacts');
    await clearOsk(page, 'input[name=pec]');
    await tap(page, '#save-contacts');
    await page.waitForSelector('.kiosk-error');
    assert.match(await page.textContent('.kiosk-error'), /PEC è obbligatoria/);
    await typeOsk(page, 'input[name=pec]', 'studio.rossi@pec.example.com');
    await tap(page, '#save-contacts');
    await page.waitForSelector('#contacts-saved');
    await page.reload();
    await page.waitForSelector('#save-contacts');
    assert.equal(await page.inputValue('input[name=pec]'), 'studio.rossi@pec.example.com');
  } finally {
    await kiosk.stop();
  }
});

test('idle: a countdown, then logout on the server and nothing left in the browser', async () => {
  const kiosk = await startKiosk({ config: 'kiosk.test.conf' });  // 10 s idle, 5 s countdown
  try {
    const page = await openPage(browser, kiosk.url);
    await loginProfessional(page);
    await page.waitForSelector('#tile-new');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'kiosk_session');
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    await tap(page, '#tile-new');
    await typeOsk(page, 'input[name=subject]', 'Dati personali da non lasciare');
    await page.evaluate(() => { sessionStorage.setItem('x', 'y'); localStorage.setItem('x', 'y'); });

    await page.waitForSelector('#idle:not([hidden])', { timeout: 20000 });
    assert.match(await page.textContent('#idle'), /È ancora lì\?/);  // the formal «Lei»
    // The overlay hides the screen under it: no name, no draft for passers-by.
    assert.equal(await page.$eval('#idle', (el) => getComputedStyle(el).backgroundColor), 'rgb(11, 31, 51)');
    await noViolations(page, 'idle countdown');
    await screenshot(page, 'idle-portrait');
    await tap(page, '#idle-continue');  // "Continua" keeps the session
    assert.equal(await page.isHidden('#idle'), true);
    assert.equal(await page.inputValue('input[name=subject]'), 'Dati personali da non lasciare');

    await page.waitForSelector('#idle:not([hidden])', { timeout: 20000 });
    await page.waitForSelector('#login', { timeout: 20000 });  // back to the welcome screen
    const storage = await page.evaluate(() => [sessionStorage.length, localStorage.length]);
    assert.deepEqual(storage, [0, 0]);
    assert.equal(await page.locator('text=Dati personali').count(), 0);
    const after = (await page.context().cookies()).find((c) => c.name === 'kiosk_session');
    assert.equal(after, undefined);
    // The old session is dead on the server too.
    const res = await fetch(`${kiosk.url}/api/session`, { headers: { Cookie: `kiosk_session=${cookie.value}` } });
    assert.equal(res.status, 401);
  } finally {
    await kiosk.stop();
  }
});

test('logout from any screen ends the session', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url, { width: 1920, height: 1080 });
    await loginProfessional(page);
    await tap(page, '#tile-received');
    await page.waitForSelector('#apply-filters');
    await screenshot(page, 'received-landscape');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'kiosk_session');
    await tap(page, '#logout');
    // An end screen says what to take away, with nothing of the person on it.
    await page.waitForSelector('#goodbye');
    assert.match(await page.textContent('#goodbye'), /Arrivederci.*ricevuta.*chiavetta USB/s);
    assert.doesNotMatch(await page.textContent('body'), /Mario|Rossi/);
    await tap(page, '#goodbye-done');
    await page.waitForSelector('#login');
    const res = await fetch(`${kiosk.url}/api/session`, { headers: { Cookie: `kiosk_session=${cookie.value}` } });
    assert.equal(res.status, 401);
  } finally {
    await kiosk.stop();
  }
});

test('the citizen\'s welcome screen has no staff tab; staff find theirs in a corner, or at once on a desk', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url);
    assert.equal(await page.$('#tab-staff'), null);
    assert.equal(await page.isVisible('input[name=codice_fiscale]'), true);
    // Discreet: smaller than "Accedi", after it, still a 44 px target.
    const [corner, login] = await Promise.all(['#staff-corner', '#login'].map((s) => page.$eval(s, (el) => {
      const r = el.getBoundingClientRect();
      return { top: r.top, height: r.height, font: parseFloat(getComputedStyle(el).fontSize) };
    })));
    assert.ok(corner.font < login.font && corner.top > login.top && corner.height >= 44, JSON.stringify({ corner, login }));
    await tap(page, '#staff-corner');
    await page.waitForSelector('input[name=username]');
    await tap(page, '#back-to-professional');
    await page.waitForSelector('input[name=codice_fiscale]');
    await noViolations(page, 'welcome without staff tab');
    // A staff PC on the LAN: the staff's login, and nothing else.
    const desk = await openPage(browser, kiosk.url, { width: 1366, height: 768 }, { desk: true });
    await desk.waitForSelector('input[name=username]');
    assert.equal(await desk.$('input[name=codice_fiscale]'), null);
    assert.equal(await desk.$('#staff-corner'), null);
  } finally {
    await kiosk.stop();
  }
});

test('in high contrast the chosen topic stays marked once the focus moves on', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url);
    await tap(page, 'text=Alto contrasto');
    await loginProfessional(page);
    await tap(page, '#tile-new');
    await tap(page, '[data-topic=rimborso]');
    await typeOsk(page, 'input[name=subject]', 'Altro');  // the focus is elsewhere now
    const look = (sel) => page.$eval(sel, (el) => {
      const s = getComputedStyle(el);
      return `${s.backgroundColor} ${s.color}`;
    });
    assert.notEqual(await look('[data-topic=rimborso]'), await look('[data-topic=normativa]'));
    await noViolations(page, 'compose, high contrast, topic chosen');
  } finally {
    await kiosk.stop();
  }
});

test('text size, high contrast and English stay accessible', async () => {
  const kiosk = await startKiosk();
  try {
    const page = await openPage(browser, kiosk.url);
    // Each toggle changes in place: the text grows, the button tapped shows
    // pressed and keeps the focus (a keypad user's place is not lost).
    await tap(page, 'button[aria-label="Dimensione del testo A++"]');
    await page.waitForSelector('html.text-xl');
    assert.equal(await page.getAttribute('button[aria-label="Dimensione del testo A++"]', 'aria-pressed'), 'true');
    assert.equal(await page.getAttribute('button[aria-label="Dimensione del testo A"]', 'aria-pressed'), 'false');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Dimensione del testo A++');
    await tap(page, 'text=Alto contrasto');
    await page.waitForSelector('html.contrast');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Alto contrasto');
    assert.equal(await page.getAttribute('button:has-text("Alto contrasto")', 'aria-pressed'), 'true');
    await tap(page, 'text=English');
    await page.waitForSelector('text=Welcome');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await page.evaluate(() => document.documentElement.classList.contains('contrast')), true);
    await noViolations(page, 'login, large text, high contrast, English');
    await screenshot(page, 'login-contrast-en');
    await loginStaff(page, 'tecnico', 'tecnico-demo');
    await page.waitForSelector('#health');
    assert.equal((await page.textContent('#health')).trim(), 'ok');
    await noViolations(page, 'technician');
  } finally {
    await kiosk.stop();
  }
});

test('in English the server\'s messages, the topics and the sizes are English too', async () => {
  // The English screen used to show the server's Italian errors and topics,
  // and sizes with a decimal comma.
  const kiosk = await startKiosk({ usb: true });
  try {
    const page = await openPage(browser, kiosk.url);
    await tap(page, 'text=English');
    await page.waitForSelector('text=Welcome');
    await loginProfessional(page, 'RSSMRA80A01H501U', '00000000');
    await page.waitForSelector('.kiosk-error');
    const said = await page.textContent('.kiosk-error');
    assert.match(said, /Wrong tax code or PIN: please check them and try again\. 4 tries left before access is locked\./);
    assert.doesNotMatch(said, /errati|tentativi/);
    await page.evaluate(() => document.querySelector('.kiosk-error').remove());
    await loginProfessional(page);
    await tap(page, '#tile-new');
    await page.waitForSelector('#send');
    assert.match(await page.textContent('[data-topic=rimborso]'), /Refund/);
    assert.match(await page.textContent('[data-topic=posizione_assicurativa]'), /Contribution record/);
    await tap(page, '[data-topic=rimborso]');
    await typeOsk(page, 'input[name=subject]', 'Refund 2025');
    await typeOsk(page, 'textarea[name=body]', 'I ask for the refund.');
    await attachFromUsb(page, ['documento.pdf.p7m']);
    const size = await page.textContent('ul.kiosk-files[aria-live]');
    assert.match(size, /\d+\.\d KB/, `a size with a decimal point: ${size}`);
    assert.doesNotMatch(size, /\d+,\d KB/);
    await tap(page, '#send');
    await page.waitForSelector('#protocol');
    assert.match(await page.textContent('#main'), /Refund/);
    assert.doesNotMatch(await page.textContent('#main'), /Rimborso\b(?! 2025)/);
    await noViolations(page, 'sent, English');
  } finally {
    await kiosk.stop();
  }
});
