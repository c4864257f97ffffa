// Contatti: PEC (mandatory), e-mail, mobile, phone, fax and notification
// channels. Changes apply from the next communication.
import * as api from '../api.js';
import { h, field } from '../dom.js';
import { t } from '../i18n.js';
import { showError, state, go } from '../state.js';

export async function renderContacts(el) {
  const c = await api.get('/api/contacts');
  const pec = field({ label: t('pec'), kind: 'email', name: 'pec', value: c.pec, osk: 'email', attrs: { required: true, maxlength: 254 } });
  const email = field({ label: t('email'), kind: 'email', name: 'email', value: c.email, osk: 'email', attrs: { maxlength: 254 } });
  const mobile = field({ label: t('mobile'), kind: 'tel', name: 'mobile', value: c.mobile, osk: 'phone', help: '+39 333 1234567', attrs: { maxlength: 20 } });
  const phone = field({ label: t('phone'), kind: 'tel', name: 'phone', value: c.phone, osk: 'phone', attrs: { maxlength: 20 } });
  const fax = field({ label: t('fax'), kind: 'tel', name: 'fax', value: c.fax, osk: 'phone', attrs: { maxlength: 20 } });
  const channels = [['pec', 'PEC'], ['email', t('email')], ['sms', 'SMS']].map(([code, label]) => {
    const box = h('input', { type: 'checkbox', class: 'form-check-input', id: `notify-${code}`, value: code, checked: c.notify.includes(code) });
    return { code, box, wrap: h('div', { class: 'form-check form-check-inline' }, box, h('label', { class: 'form-check-label', for: `notify-${code}` }, label)) };
  });
  const done = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg w-100', id: 'save-contacts' }, t('save'));
  let version = c.version;
  const form = h('form', { novalidate: true, autocomplete: 'off' },
    h('div', { class: 'alert alert-info' }, t('contactsIntro')),
    h('div', { class: 'kiosk-card' }, pec.wrap, email.wrap, mobile.wrap, phone.wrap, fax.wrap,
      h('fieldset', {}, h('legend', { class: 'form-label fw-semibold' }, t('notify')), channels.map((ch) => ch.wrap))),
    done, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    done.textContent = '';
    try {
      const saved = await api.put('/api/contacts', {
        pec: pec.control.value, email: email.control.value, mobile: mobile.control.value,
        phone: phone.control.value, fax: fax.control.value,
        notify: channels.filter((ch) => ch.box.checked).map((ch) => ch.code), version,
      });
      version = saved.version;
      mobile.control.value = saved.mobile;
      const old = el.querySelector('.kiosk-error');
      if (old) old.remove();
      done.replaceChildren(h('div', { class: 'alert alert-success', id: 'contacts-saved' }, t('saved')));
      // Came here from a draft to add the PEC: back to it, as it was.
      if (state.draft) {
        done.append(h('button', { type: 'button', class: 'btn btn-primary btn-lg mb-3', id: 'back-to-draft',
          onclick: () => go('#/nuova') }, t('backToDraft')));
      }
    } catch (err) {
      showError(el, err);
    }
    submit.disabled = false;
  });
  el.append(h('h1', { class: 'kiosk-title' }, t('contacts')), form);
}
