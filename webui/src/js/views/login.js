// Welcome and login: codice fiscale and PIN for professionals, user name and
// password for counter staff and technicians.
import * as api from '../api.js';
import { h, field } from '../dom.js';
import { t } from '../i18n.js';
import { state, startSession, showError, go } from '../app.js';

let mode = 'professional';

// Left alone, the login screen wipes itself after the idle time too: a typed
// codice fiscale or a lock message must not wait for the next person.
let idleTimer = null;
function armReset(el) {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (state.session || !el.isConnected) return;
    mode = 'professional';
    renderAgain(el);
  }, (state.kiosk.idle_seconds || 120) * 1000);
}

export function renderLogin(el) {
  armReset(el);
  const rearm = () => { if (!state.session && el.isConnected) armReset(el); };
  for (const type of ['pointerdown', 'keydown', 'input']) el.addEventListener(type, rearm, { capture: true });
  const tabs = h('div', { class: 'btn-group mb-4', role: 'group', 'aria-label': t('login') },
    h('button', { type: 'button', class: `btn btn-lg ${mode === 'professional' ? 'btn-primary' : 'btn-outline-primary'}`,
      'aria-pressed': String(mode === 'professional'), id: 'tab-professional',
      onclick: () => { mode = 'professional'; renderAgain(el); } }, t('professional')),
    h('button', { type: 'button', class: `btn btn-lg ${mode === 'staff' ? 'btn-primary' : 'btn-outline-primary'}`,
      'aria-pressed': String(mode === 'staff'), id: 'tab-staff',
      onclick: () => { mode = 'staff'; renderAgain(el); } }, t('operator')));

  let first;
  let second;
  if (mode === 'professional') {
    first = field({ label: t('codiceFiscale'), name: 'codice_fiscale', help: t('cfHelp'), osk: 'cf',
      attrs: { maxlength: 16, autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', required: true } });
    first.control.addEventListener('input', () => {
      const at = first.control.selectionStart;
      first.control.value = first.control.value.toUpperCase().replace(/[^A-Z0-9]/g, '');
      first.control.setSelectionRange(at, at);
    });
    second = field({ label: t('pin'), kind: 'password', name: 'pin', help: t('pinHelp'), osk: 'pin',
      attrs: { maxlength: 16, autocomplete: 'off', required: true } });
  } else {
    first = field({ label: t('username'), name: 'username', osk: 'email',
      attrs: { maxlength: 32, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', required: true } });
    second = field({ label: t('password'), kind: 'password', name: 'password', osk: 'text',
      attrs: { maxlength: 128, autocomplete: 'off', required: true } });
  }
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg w-100', id: 'login' }, t('login'));
  const form = h('form', { class: 'kiosk-card', novalidate: true, autocomplete: 'off' },
    first.wrap, second.wrap, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const a = first.control.value.trim();
    const b = second.control.value;
    if (!a || !b) {
      showError(el, new Error(t('required')));
      return;
    }
    submit.disabled = true;
    try {
      const body = mode === 'professional' ? { codice_fiscale: a, pin: b } : { username: a, password: b };
      const session = await api.post('/api/session', body);
      second.control.value = '';
      clearTimeout(idleTimer);
      startSession(session);
      go('#/');
    } catch (err) {
      second.control.value = '';
      const box = showError(el, err);
      if (err.code === 'locked') box.append(h('p', { class: 'mb-0 mt-2' }, t('lockedHelp')));
      submit.disabled = false;
      second.control.focus();
    }
  });
  el.append(
    h('h1', { class: 'kiosk-title' }, t('welcome')),
    h('p', { class: 'lead' }, t('welcomeText')),
    h('p', {}, `${state.kiosk.branch_name} · ${state.kiosk.kiosk_id}`),
    tabs, form);
}

function renderAgain(el) {
  while (el.firstChild) el.firstChild.remove();
  renderLogin(el);
}
