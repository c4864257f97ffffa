// The attachment picker of the compose and reply screens: the scanner, the
// USB stick and (on staff PCs only) a file chooser; the list of chosen files
// with name, size and type, and the server's limits checked before anything
// is uploaded (with the server's own wording).
import * as api from '../api.js';
import { h, clear, formatBytes } from '../dom.js';
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

export function attachmentPicker(onError) {
  const kiosk = state.kiosk;
  const max = kiosk.max_attachments;
  const maxBytes = kiosk.max_attachment_bytes;
  const allowed = kiosk.allowed_extensions;
  let files = [];

  const input = h('input', { type: 'file', multiple: true, class: 'visually-hidden', id: 'attachments-input',
    'aria-label': t('chooseFile'), tabindex: '-1', accept: allowed.map((e) => `.${e}`).join(',') });
  const list = h('ul', { class: 'kiosk-files list-unstyled', 'aria-live': 'polite' });
  const chooser = h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg', id: 'choose-file',
    onclick: () => input.click() }, t('chooseFile'));
  const usb = h('button', { type: 'button', class: 'btn btn-outline-secondary btn-lg', disabled: true, id: 'from-usb',
    onclick: () => openUsb() }, `${t('fromUsb')} (${t('notAvailable')})`);
  const scan = h('button', { type: 'button', class: 'btn btn-outline-secondary btn-lg', disabled: true, id: 'scan',
    onclick: () => openScan() }, `${t('scan')} (${t('notAvailable')})`);
  const panel = h('div', { class: 'kiosk-device-panel', 'aria-live': 'polite' });

  // The device buttons follow /api/devices: asked at once, then every 1.5 s
  // while the picker is on the screen, so that a stick put in (or taken out)
  // meanwhile shows within moments.
  const showDevice = (button, ready, label) => {
    if (button.disabled !== !ready) {
      button.disabled = !ready;
      button.textContent = ready ? label : `${label} (${t('notAvailable')})`;
      button.classList.toggle('btn-outline-primary', ready);
      button.classList.toggle('btn-outline-secondary', !ready);
    }
  };
  const poll = () => api.get('/api/devices').then((d) => {
    showDevice(scan, d.scanner.status === 'ready', t('scan'));
    showDevice(usb, d.usb.status === 'ready', t('fromUsb'));
  }).catch(() => {});
  poll();
  const devicePoll = setInterval(() => {
    if (!panel.isConnected) { clearInterval(devicePoll); return; }
    if (!document.hidden) poll();
  }, 1500);

  function add(file) {
    if (files.length >= max) { onError(new Error(t('tooMany'))); return false; }
    const problem = check(file);
    if (problem) { onError(new Error(problem)); return false; }
    files.push(file);
    render();
    return true;
  }

  // A button that has just appeared where a finger is may be reached by the
  // second tap of a double tap: it takes no tap in its first 0.45 s.
  const settle = (button) => { button.dataset.shownAt = String(performance.now()); };
  const settled = (button) => performance.now() - Number(button.dataset.shownAt || 0) >= 450;

  // A flatbed takes one sheet at a time: the scan pauses after each page and
  // asks "Pagina successiva?"; the pages become one PDF (one page: a JPEG).
  function openScan() {
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

  function usbReason(f) {
    if (f.refused === 'too_large' || (!f.refused && f.too_large)) return t('usbTooLarge');
    if (f.refused === 'empty') return t('usbRefusedEmpty');
    return t('usbRefusedType');
  }

  // Every file on the stick is listed; those that cannot be attached are
  // greyed with the reason, so that nobody wonders where their file went.
  async function openUsb() {
    clear(panel).append(h('p', {}, t('loading')));
    try {
      const { items } = await api.get('/api/usb/files');
      const list = h('ul', { class: 'kiosk-files list-unstyled', id: 'usb-files' });
      for (const f of items) {
        const refused = f.refused || f.too_large;
        list.append(h('li', { class: refused ? 'refused' : null, 'aria-disabled': refused ? 'true' : null },
          h('span', { class: 'name' }, f.name),
          h('span', {}, formatBytes(f.size)),
          refused
            ? h('span', { class: 'kiosk-refused-reason' }, usbReason(f))
            : h('button', { type: 'button', class: 'btn btn-primary', 'aria-label': `${t('attach')} ${f.name}`,
              onclick: async () => {
                try {
                  const { blob } = await api.fetchFile('GET',
                    `/api/usb/files/${f.name.split('/').map(encodeURIComponent).join('/')}`);
                  if (add(new File([blob], f.name.split('/').pop(), { type: f.content_type }))) clear(panel);
                } catch (err) { onError(err); }
              } }, t('attach'))));
      }
      clear(panel).append(h('div', { class: 'kiosk-card border' },
        h('h3', { class: 'h5' }, t('fromUsb')), items.length ? list : h('p', {}, t('usbEmpty'))));
    } catch (err) {
      clear(panel);
      onError(err);
    }
  }

  function check(file) {
    const ext = file.name.includes('.') ? file.name.split('.').pop().toLowerCase() : '';
    if (file.size === 0) return t('emptyFile', file.name);
    if (file.size > maxBytes) return t('tooLarge', file.name);
    if (!allowed.includes(ext)) return t('badType', file.name, allowed.join(', '));
    return null;
  }

  function render() {
    clear(list);
    files.forEach((file, i) => {
      let preview = null;
      if (file.type === 'image/jpeg' || file.type === 'image/png') {
        const url = URL.createObjectURL(file);
        state.objectUrls.push(url);
        preview = h('img', { src: url, alt: '', class: 'kiosk-thumb' });
      } else if (file.pages) {
        preview = h('span', { class: 'kiosk-badge aperta' }, t('pages', file.pages));
      }
      if (file.thumbs && file.thumbs.length) {
        preview = h('span', { class: 'kiosk-scan-pages d-inline-flex flex-wrap gap-1 align-items-center' }, preview,
          file.thumbs.map((url, p) => h('img', { src: url, class: 'kiosk-thumb kiosk-page-thumb', alt: t('scanPageAlt', p + 1) })));
      }
      list.append(h('li', {},
        preview,
        h('span', { class: 'name' }, file.name),
        h('span', {}, formatBytes(file.size)),
        h('span', {}, (file.name.includes('.') ? file.name.split('.').pop() : '').toUpperCase()),
        h('button', { type: 'button', class: 'btn btn-outline-danger', 'aria-label': `${t('remove')} ${file.name}`,
          onclick: () => { files.splice(i, 1); render(); } }, t('remove'))));
    });
    chooser.disabled = files.length >= max;
  }

  input.addEventListener('change', () => {
    for (const file of input.files) {
      if (files.length >= max) { onError(new Error(t('tooMany'))); break; }
      const problem = check(file);
      if (problem) { onError(new Error(problem)); continue; }
      files.push(file);
    }
    input.value = '';
    render();
  });
  // (add() above serves the scanner and the USB stick with the same checks.)

  const element = h('fieldset', { class: 'kiosk-card' },
    h('legend', { class: 'fw-semibold' }, t('attachments')),
    h('p', { class: 'kiosk-limits' }, t('limits', max, formatBytes(maxBytes), allowed.join(', '))),
    kiosk.file_dialog ? input : null,
    // On the kiosk's own screen only the scanner and the stick are sources:
    // the system file dialog would browse the kiosk's disk, out of reach of
    // the on-screen keyboard. Staff PCs (through the LAN proxy) keep it.
    h('div', { class: 'd-flex flex-wrap gap-3 mb-3' }, kiosk.file_dialog ? chooser : null, usb, scan),
    panel,
    list);
  return {
    element,
    files: () => files.slice(),
    reset: () => { files = []; render(); },
  };
}
