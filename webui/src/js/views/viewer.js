// The document viewer: attachments and receipts shown inside the page, never
// downloaded (a download would stay on the kiosk's disk, out of the person's
// reach and of the logout wipe).
import * as api from '../api.js';
import { h, clear } from '../dom.js';
import { t } from '../i18n.js';
import { state } from '../state.js';

// Shows an attachment inside the page: never a download, which would leave
// it on the kiosk's disk where the person cannot take it and the logout wipe
// cannot reach it. Images and PDFs are shown, plain text as text; other types
// say so. The blob lives in memory and is revoked on close and on logout.
// `print`: the route that prints it on the kiosk's printer (PDFs and pictures).
export async function showDocument({ title, url: source, type, print = null, printBody = undefined }) {
  const overlay = document.getElementById('viewer');
  const close = h('button', { type: 'button', class: 'btn btn-light btn-lg', id: 'viewer-close' }, t('closeViewer'));
  const body = h('div', { class: 'kiosk-viewer-body' }, h('p', {}, t('loading')));
  const status = h('p', { class: 'kiosk-viewer-status m-0', id: 'viewer-status', role: 'status' });
  const printable = print && (type === 'application/pdf' || type === 'image/jpeg' || type === 'image/png');
  const printButton = printable
    ? h('button', { type: 'button', class: 'btn btn-light btn-lg', id: 'viewer-print',
      onclick: async () => {
        printButton.disabled = true;
        status.textContent = '';
        try {
          await api.post(print, printBody);
          status.textContent = t('documentPrinted');
        } catch (err) {
          status.textContent = err.message;
        }
        printButton.disabled = false;
      } }, t('printDocument'))
    : null;
  clear(overlay).append(
    h('div', { class: 'kiosk-viewer-bar' }, h('h2', { id: 'viewer-title' }, title), printButton || '', close),
    status,
    body);
  overlay.hidden = false;
  let url = null;
  const done = () => {
    overlay.hidden = true;
    clear(overlay);
    if (url) {
      URL.revokeObjectURL(url);
      state.objectUrls = state.objectUrls.filter((u) => u !== url);
    }
  };
  close.addEventListener('click', done);
  close.focus();
  try {
    const { blob } = await api.fetchFile('GET', source);
    clear(body);
    if (type.startsWith('image/') && type !== 'image/tiff') {
      url = URL.createObjectURL(blob);
      state.objectUrls.push(url);
      body.append(h('img', { src: url, alt: title, class: 'kiosk-viewer-image', id: 'viewer-content' }));
    } else if (type === 'application/pdf') {
      url = URL.createObjectURL(new Blob([blob], { type: 'application/pdf' }));
      state.objectUrls.push(url);
      body.append(h('iframe', { src: `${url}#toolbar=0`, title, class: 'kiosk-viewer-pdf', id: 'viewer-content' }));
    } else if (type.startsWith('text/')) {
      body.append(h('pre', { class: 'kiosk-viewer-text selectable', id: 'viewer-content' }, await blob.text()));
    } else {
      body.append(h('p', { class: 'lead', id: 'viewer-content' }, t('noPreview')));
    }
  } catch (err) {
    clear(body).append(h('p', { class: 'lead', role: 'alert' }, err.message || t('viewFailed')));
  }
}


// "Mostra ricevuta": the receipt PDF on screen, for a kiosk without a printer
// (or a person who only wants to read it).
export function receiptButton(path, protocol, id = 'show-receipt', label = t('showReceipt')) {
  return h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg', id,
    onclick: () => showDocument({ title: `${t('receipt')} ${protocol}`, url: path, type: 'application/pdf',
      print: /^\/api\/communications\/\d+\/receipt\.pdf(\?large=1)?$/.test(path) ? path.replace(/receipt\.pdf(\?large=1)?$/, 'print') : null,
      printBody: /\?large=1$/.test(path) ? { large_print: true } : undefined }) },
    label);
}
