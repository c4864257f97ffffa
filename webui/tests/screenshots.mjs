// Screenshots of every screen for webui/screenshots/: portrait kiosk
// (1080×1920), landscape staff desk (1366×768), and portrait at A++ with high
// contrast. Run by scripts/screenshots against a fresh demo kiosk with the
// SANE test scanner and a USB stick of sample files.
// Usage: node tests/screenshots.mjs OUTPUT_DIR
import path from 'node:path';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import {
  startKiosk, launch, openPage, loginProfessional, loginStaff, tap, typeOsk, attachFromUsb, tapSettled,
} from './helpers.mjs';

const out = path.resolve(process.argv[2] || 'screenshots');
mkdirSync(out, { recursive: true });

const variants = [
  { name: 'portrait', viewport: { width: 1080, height: 1920 } },
  { name: 'landscape', viewport: { width: 1366, height: 768 } },
  { name: 'portrait-large-contrast', viewport: { width: 1080, height: 1920 }, large: true },
];

async function shot(page, variant, screen) {
  await page.waitForTimeout(150);  // fonts and the keyboard's transition
  await page.screenshot({ path: path.join(out, `${screen}-${variant.name}.png`) });
}

async function prefs(page, variant) {
  if (!variant.large) return;
  await page.tap('button[aria-label="Dimensione del testo A++"]');
  if (!(await page.evaluate(() => document.documentElement.classList.contains('contrast')))) {
    await page.tap('text=Alto contrasto');
  }
}

async function go(page, hash, selector) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(selector);
}

const sane = mkdtempSync(path.join(tmpdir(), 'sane-'));
writeFileSync(path.join(sane, 'dll.conf'), 'test\n');
const kiosk = await startKiosk({
  usb: true,
  ini: '[scanner]\ndevice = test\nmode = Gray\n[ui]\nidle_seconds = 600\n',
  env: { SANE_CONFIG_DIR: sane },
});
const browser = await launch();
try {
  // A thread with a reply, so that lists and the thread have something to show.
  {
    const page = await openPage(browser, kiosk.url);
    await loginProfessional(page);
    await tap(page, '#tile-new');
    await tap(page, '[data-topic=rimborso]');
    await typeOsk(page, 'input[name=subject]', 'Rimborso contributi 2025');
    await typeOsk(page, 'textarea[name=body]', 'Chiedo il rimborso dei contributi versati due volte.');
    await attachFromUsb(page, ['documento.pdf', 'foto.png']);
    await tap(page, '#send');
    await page.waitForSelector('#protocol');
    await page.context().close();
    const desk = await openPage(browser, kiosk.url, { width: 1366, height: 768 }, { desk: true });
    await loginStaff(desk);
    await desk.waitForSelector('.kiosk-list a, .kiosk-list button.item');
    await desk.tap('.kiosk-list a, .kiosk-list button.item');
    await desk.waitForSelector('textarea[name=body]');
    await typeOsk(desk, 'textarea[name=body]', 'Abbiamo verificato il versamento: il rimborso sarà disposto entro 30 giorni.');
    await tap(desk, '#send-message');
    await desk.waitForTimeout(500);
    await desk.context().close();
  }

  for (const variant of variants) {
    const page = await openPage(browser, kiosk.url, variant.viewport);
    await prefs(page, variant);
    await shot(page, variant, 'login');
    await page.tap('input[name=codice_fiscale]');
    await page.waitForSelector('#osk:not([hidden])');
    await shot(page, variant, 'login-keyboard');
    await tap(page, '#new-pin');
    await page.waitForSelector('#set-pin');
    await shot(page, variant, 'new-pin');
    await tap(page, '#back-to-login');
    await loginProfessional(page);
    await page.waitForSelector('#tile-new');
    await shot(page, variant, 'home');
    await go(page, '#/daleggere', '#main h1');
    await shot(page, variant, 'to-read');
    await go(page, '#/inviate', '#main h1');
    await shot(page, variant, 'sent-list');
    await go(page, '#/ricevute', '#main h1');
    await shot(page, variant, 'received-list');
    await go(page, '#/comunicazione/1', '#thread-protocol');
    await shot(page, variant, 'thread');
    await page.tap('.kiosk-attachment');
    await page.waitForSelector('#viewer:not([hidden]) #viewer-content');
    await shot(page, variant, 'attachment-viewer');
    await page.tap('#viewer-close');
    await go(page, '#/contatti', 'input[name=pec]');
    await shot(page, variant, 'contacts');
    await go(page, '#/nuova', '#send');
    await tap(page, '#send');
    await page.waitForSelector('.kiosk-field-error');
    await shot(page, variant, 'compose-errors');
    await tap(page, '[data-topic=rimborso]');
    await typeOsk(page, 'input[name=subject]', 'Documenti');
    await shot(page, variant, 'compose-keyboard');
    await kiosk.reinsertStick();  // this session's stick
    await tap(page, '#from-usb');
    await page.waitForSelector('#usb-files li');
    await shot(page, variant, 'usb-stick');
    await tap(page, '#usb-files li:has(.name:text-is("documento.pdf")) button');
    await tap(page, '#scan');
    await tap(page, '#scan-start');
    await page.waitForSelector('#scan-next:not([hidden])');
    await shot(page, variant, 'scan-next-page');
    await tapSettled(page, '#scan-finish');
    await page.waitForSelector('.kiosk-files li:has-text("scansione.jpg")');
    await typeOsk(page, 'textarea[name=body]', 'Allego il modulo.');
    await tap(page, '#send');
    await page.waitForSelector('#protocol');
    await shot(page, variant, 'sent');
    await page.tap('#show-receipt');
    await page.waitForSelector('#viewer:not([hidden]) #viewer-content');
    await page.waitForTimeout(800);  // the PDF viewer draws the page
    await shot(page, variant, 'receipt-viewer');
    await page.tap('#viewer-close');
    await page.tap('#help');
    await page.waitForSelector('#help-back');
    await shot(page, variant, 'help');
    await page.context().close();

    const desk = await openPage(browser, kiosk.url, variant.viewport, { desk: true });
    await prefs(desk, variant);
    await loginStaff(desk);
    await desk.waitForSelector('#nav-write');
    await shot(desk, variant, 'staff-queue');
    await go(desk, '#/comunicazione/1', 'textarea[name=body]');
    await shot(desk, variant, 'staff-thread');
    await go(desk, '#/nuova', '#send');
    await shot(desk, variant, 'staff-write-first');
    await go(desk, '#/sblocco', '#find-professional');
    await typeOsk(desk, 'input[name=codice_fiscale]', 'RSSMRA80A01H501U');
    await tap(desk, '#find-professional');
    await desk.waitForSelector('#pin-reset');
    await shot(desk, variant, 'staff-unlock');
    await desk.context().close();

    const tech = await openPage(browser, kiosk.url, variant.viewport, { desk: true });
    await prefs(tech, variant);
    await loginStaff(tech, 'tecnico', 'tecnico-demo');
    await tech.waitForSelector('#devices');
    await shot(tech, variant, 'technician');
    await tech.context().close();
    console.log(`${variant.name}: done`);
  }
} finally {
  await browser.close();
  await kiosk.stop();
  rmSync(sane, { recursive: true, force: true });
}
