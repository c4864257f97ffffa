// The attachment picker of the compose and reply screens: a file chooser,
// the list of chosen files with name, size and type, and the server's limits
// checked before anything is uploaded (with the server's own wording).
import { h, clear, formatBytes } from '../dom.js';
import { t } from '../i18n.js';
import { state } from '../app.js';

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
  const usb = h('button', { type: 'button', class: 'btn btn-outline-secondary btn-lg', disabled: true },
    `${t('fromUsb')} (${t('notAvailable')})`);
  const scan = h('button', { type: 'button', class: 'btn btn-outline-secondary btn-lg', disabled: true },
    `${t('scan')} (${t('notAvailable')})`);

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
      list.append(h('li', {},
        h('span', { class: 'name' }, file.name),
        h('span', {}, formatBytes(file.size)),
        h('span', {}, file.type || (file.name.split('.').pop() || '').toUpperCase()),
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

  const element = h('fieldset', { class: 'kiosk-card' },
    h('legend', { class: 'fw-semibold' }, t('attachments')),
    h('p', { class: 'kiosk-limits' }, t('limits', max, formatBytes(maxBytes), allowed.join(', '))),
    input,
    h('div', { class: 'd-flex flex-wrap gap-3 mb-3' }, chooser, usb, scan),
    list);
  return {
    element,
    files: () => files.slice(),
    reset: () => { files = []; render(); },
  };
}
