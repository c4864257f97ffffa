// The attachment picker of the compose and reply screens: the scanner
// (scan_panel.js), the USB stick (usb_panel.js) and (on staff PCs only) a
// file chooser; the list of chosen files
// with name, size and type, and the server's limits checked before anything
// is uploaded (with the server's own wording).
import * as api from '../api.js';
import { h, clear, formatBytes } from '../dom.js';
import { t } from '../i18n.js';
import { state } from '../state.js';
import { openScanPanel } from './scan_panel.js';
import { openUsbPanel } from './usb_panel.js';

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
    onclick: () => openUsbPanel(panel, add, onError) }, `${t('fromUsb')} (${t('notAvailable')})`);
  const scan = h('button', { type: 'button', class: 'btn btn-outline-secondary btn-lg', disabled: true, id: 'scan',
    onclick: () => openScanPanel(panel, add, onError) }, `${t('scan')} (${t('notAvailable')})`);
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
