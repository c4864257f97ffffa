// The USB stick's panel of the attachment picker: every file on the stick
// is listed; those that cannot be attached are greyed with the reason, so
// that nobody wonders where their file went.
import * as api from '../api.js';
import { h, clear, formatBytes } from '../dom.js';
import { t } from '../i18n.js';

function usbReason(f) {
  if (f.refused === 'too_large' || (!f.refused && f.too_large)) return t('usbTooLarge');
  if (f.refused === 'empty') return t('usbRefusedEmpty');
  return t('usbRefusedType');
}

// Opens the stick's list in `panel`; a chosen file goes to `add` (the
// picker's checks), a failure to `onError`.
export async function openUsbPanel(panel, add, onError) {
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
