// The scanner's panel of the attachment picker: a flatbed takes one sheet
// at a time, so the scan pauses after each page and asks "Pagina
// successiva?"; the pages become one PDF (one page: a JPEG), shown as
// pictures before it is attached.
import * as api from '../api.js';
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { state } from '../state.js';

// The pages of a scan as JPEG bytes: the kiosk's scanner writes each page as
// a JPEG image stream (DCTDecode, not compressed again) in the PDF, in page
// order, so the pages show as pictures without a PDF reader.
function scannedPages(bytes) {
  const text = new TextDecoder('latin1').decode(bytes);  // one character a byte
  const pages = [];
  let at = 0;
  while ((at = text.indexOf('/DCTDecode', at)) !== -1) {
    const keyword = text.indexOf('stream', at);
    if (keyword === -1) break;
    let start = keyword + 'stream'.length;
    if (text[start] === '\r') start += 1;
    if (text[start] === '\n') start += 1;
    const end = text.indexOf('endstream', start);
    if (end === -1) break;
    const stop = text.lastIndexOf('\xFF\xD9', end);
    if (text.startsWith('\xFF\xD8', start) && stop > start) pages.push(bytes.slice(start, stop + 2));
    at = end;
  }
  return pages;
}

// A button that has just appeared where a finger is may be reached by the
// second tap of a double tap: it takes no tap in its first 0.45 s.
const settle = (button) => { button.dataset.shownAt = String(performance.now()); };
const settled = (button) => performance.now() - Number(button.dataset.shownAt || 0) >= 450;

// Opens the scanner in `panel`; a finished scan goes to `add` (the picker's
// checks), a failure to `onError`.
export function openScanPanel(panel, add, onError) {
  const status = h('p', { class: 'mb-2', id: 'scan-status', role: 'status' }, t('scanIntro'));
  const start = h('button', { type: 'button', class: 'btn btn-primary btn-lg', id: 'scan-start' }, t('scanStart'));
  const next = h('button', { type: 'button', class: 'btn btn-primary btn-lg', id: 'scan-next', hidden: true,
    onclick: () => { if (settled(next)) answer('next'); } }, t('scanNext'));
  const finish = h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg', id: 'scan-finish', hidden: true,
    onclick: () => { if (settled(finish)) answer('finish'); } }, t('scanFinish'));
  const cancel = h('button', { type: 'button', class: 'btn btn-outline-danger btn-lg', hidden: true, id: 'scan-cancel',
    onclick: () => { if (settled(cancel)) api.post('/api/scan/cancel').catch(() => {}); } }, t('cancel'));
  let polling = null;
  // The pages already answered: a poll sent before the answer and received
  // after it still says "waiting" for that page, and must not ask again.
  let answered = 0;
  let asked = 0;
  const ask = (shown, pages = 0) => {
    if (shown) { asked = pages; settle(next); settle(finish); }
    next.hidden = !shown;
    finish.hidden = !shown;
    status.textContent = shown ? `${t('scanPageDone', pages)} ${t('scanNextHint')}` : t('scanning');
    if (shown) next.focus();
  };
  async function answer(what) {
    answered = asked;
    ask(false);
    await api.post(`/api/scan/${what}`).catch((err) => onError(err));
  }
  const watch = () => {
    polling = setInterval(async () => {
      if (!panel.isConnected) { clearInterval(polling); return; }
      const p = await api.get('/api/scan/progress').catch(() => null);
      if (p && p.waiting && next.hidden && p.pages > answered) ask(true, p.pages);
    }, 400);
  };
  start.addEventListener('click', async () => {
    start.hidden = true;
    cancel.hidden = false;
    settle(cancel);
    answered = 0;
    ask(false);
    watch();
    try {
      // Bounded by the server (the scanner's timeout, the time to answer
      // "Pagina successiva?"), not here.
      const { blob, headers } = await api.fetchFile('POST', '/api/scan', { pages: 10, ask: true }, 0);
      const n = Number(headers.get('X-Scan-Pages') || '1');
      const name = blob.type === 'application/pdf' ? 'scansione.pdf' : 'scansione.jpg';
      const file = new File([blob], name, { type: blob.type });
      file.pages = n;
      // Each page as a picture, to check before sending what was scanned.
      file.thumbs = scannedPages(new Uint8Array(await blob.arrayBuffer())).map((jpeg) => {
        const url = URL.createObjectURL(new Blob([jpeg], { type: 'image/jpeg' }));
        state.objectUrls.push(url);
        return url;
      });
      if (add(file)) { clear(panel); return; }
    } catch (err) {
      onError(err);
    } finally {
      clearInterval(polling);
    }
    ask(false);
    status.textContent = t('scanIntro');
    start.hidden = false;
    cancel.hidden = true;
  });
  clear(panel).append(h('div', { class: 'kiosk-card border', id: 'scan-panel' },
    h('h3', { class: 'h5' }, t('scan')), status,
    h('div', { class: 'd-flex flex-wrap gap-3 mt-3' }, start, next, finish, cancel)));
}
