// Welcome and login: the identity card in the kiosk's reader (CIE, TS-CNS)
// with the card's PIN, or codice fiscale and kiosk PIN, for professionals;
// user name and password for counter staff and technicians.
import * as api from '../api.js';
import { h, append, field } from '../dom.js';
import { t, cardErrorText } from '../i18n.js';
import { state, startSession, showError, go } from '../state.js';

let mode = 'professional';
let withCard = true;  // on a kiosk with a reader: the card first, the kiosk PIN one tap away
let cardTimer = null;
// The card PIN travels after 16 KiB of padding: the kiosk's HTTP server keeps
// a request's first 16 KiB in a buffer it cannot wipe, and reads the rest
// into its own, which it wipes (CONTRACT additions in the README).
const CARD_PAD = ' '.repeat(16384);
let notice = null;  // "PIN impostato", shown once on the login screen
let carriedCf = '';  // the codice fiscale typed before "Primo accesso o PIN dimenticato"

// Left alone, the login screen wipes itself after the idle time too: a typed
// codice fiscale or a lock message must not wait for the next person.
let idleTimer = null;
function armReset(el) {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (state.session || !el.isConnected) return;
    mode = 'professional';
    withCard = true;
    carriedCf = '';
    renderAgain(el);
  }, (state.kiosk.idle_seconds || 120) * 1000 * (state.audio ? 3 : 1));
}

function cfField() {
  const f = field({ label: t('codiceFiscale'), name: 'codice_fiscale', help: t('cfHelp'), osk: 'cf',
    attrs: { maxlength: 16, autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', required: true } });
  f.control.addEventListener('input', () => {
    const at = f.control.selectionStart;
    f.control.value = f.control.value.toUpperCase().replace(/[^A-Z0-9]/g, '');
    f.control.setSelectionRange(at, at);
  });
  return f;
}

// "Primo accesso o PIN dimenticato": after staff opened it at the counter,
// the professional types the new PIN twice on the PIN pad.
function renderNewPin(el) {
  const cf = cfField();
  cf.control.value = carriedCf;  // typed on the login screen already
  const code = field({ label: t('resetCode'), name: 'reset_code', help: t('resetCodeHelp'), osk: 'digits',
    attrs: { maxlength: 6, inputmode: 'numeric', autocomplete: 'off', required: true } });
  code.control.addEventListener('input', () => { code.control.value = code.control.value.replace(/\D/g, ''); });
  const pin = field({ label: t('newPin'), kind: 'password', name: 'new_pin', help: t('pinHelp'), osk: 'pin',
    attrs: { maxlength: 16, autocomplete: 'off', required: true } });
  const again = field({ label: t('newPinAgain'), kind: 'password', name: 'new_pin_again', osk: 'pin',
    attrs: { maxlength: 16, autocomplete: 'off', required: true } });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg w-100', id: 'set-pin' }, t('setPin'));
  const back = h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg w-100 mt-3', id: 'back-to-login',
    onclick: () => { mode = 'professional'; renderAgain(el); } }, t('backToLogin'));
  const form = h('form', { class: 'kiosk-card', novalidate: true, autocomplete: 'off' },
    cf.wrap, code.wrap, pin.wrap, again.wrap, submit, back);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!cf.control.value.trim() || !code.control.value || !pin.control.value || !again.control.value) {
      showError(el, new Error(t('required')));
      return;
    }
    submit.disabled = true;
    try {
      await api.post('/api/pin', { codice_fiscale: cf.control.value.trim(), code: code.control.value,
        pin: pin.control.value, pin_again: again.control.value });
      carriedCf = '';
      mode = 'professional';
      notice = t('pinSet');
      renderAgain(el);
    } catch (err) {
      pin.control.value = '';
      again.control.value = '';
      if (err.code === 'pin_reset_code_wrong') code.control.value = '';
      showError(el, err);
      submit.disabled = false;
    }
  });
  el.append(
    h('h1', { class: 'kiosk-title' }, t('newPinTitle')),
    h('p', { class: 'lead' }, t('newPinText')),
    form);
}

// The card going into the reader, chip up: a picture of where it goes.
function cardPicture() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 240 150');
  svg.setAttribute('class', 'kiosk-card-picture');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.innerHTML =
    '<rect x="20" y="96" width="200" height="40" rx="8" fill="#17324d"/>' +
    '<rect x="62" y="110" width="116" height="8" rx="4" fill="#000"/>' +
    '<g class="kiosk-card-moving"><rect x="75" y="10" width="90" height="104" rx="8" fill="#e8f1fb" stroke="#0066cc" stroke-width="4"/>' +
    '<rect x="100" y="74" width="40" height="28" rx="4" fill="#d4a017" stroke="#7a5c00" stroke-width="2"/>' +
    '<line x1="120" y1="74" x2="120" y2="102" stroke="#7a5c00" stroke-width="2"/>' +
    '<line x1="100" y1="88" x2="140" y2="88" stroke="#7a5c00" stroke-width="2"/></g>' +
    '<path d="M196 30 v44 m-10 -12 l10 14 l10 -14" stroke="#0066cc" stroke-width="5" fill="none" stroke-linecap="round"/>';
  return svg;
}

// Looks at the reader twice a second while the welcome screen is up: a card
// put in or taken out changes the screen within a second.
function watchCard(el) {
  clearInterval(cardTimer);
  cardTimer = setInterval(async () => {
    if (state.session || !el.isConnected) { clearInterval(cardTimer); return; }
    try {
      const now = await api.get('/api/card');
      const before = state.card;
      state.card = now;
      if (!before || before.card !== now.card || before.reader !== now.reader) {
        renderAgain(el);
        window.dispatchEvent(new Event('kiosk:screen'));  // heard in audio mode
      }
    } catch { /* the next look */ }
  }, 500);
}

function renderCard(el, corner) {
  const card = state.card;
  let body;
  if (card.card) {
    const pin = field({ label: t('cardPin'), kind: 'password', name: 'card_pin', help: t('cardPinHelp'), osk: 'digits',
      attrs: { maxlength: 8, inputmode: 'numeric', autocomplete: 'off', required: true } });
    pin.control.addEventListener('input', () => { pin.control.value = pin.control.value.replace(/\D/g, ''); });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg w-100', id: 'card-login' }, t('login'));
    const form = h('form', { class: 'kiosk-card', novalidate: true, autocomplete: 'off', id: 'card-form' },
      h('p', { class: 'fw-semibold', id: 'card-read', 'data-announce': '' }, t('cardRead')), pin.wrap, submit);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const value = pin.control.value;
      if (!/^\d{5,8}$/.test(value)) {
        showError(el, new Error(t('cardPinHelp')));
        return;
      }
      submit.disabled = true;
      pin.control.value = '';
      try {
        const session = await api.post('/api/card/login', { pad: CARD_PAD, pin: value });
        clearInterval(cardTimer);
        clearTimeout(idleTimer);
        state.cardSession = true;
        startSession(session);
        go('#/');
      } catch (err) {
        showError(el, { message: cardErrorText(err) });
        submit.disabled = false;
        if (err.code === 'card_pin_blocked' || err.code === 'card_removed') pin.control.blur();
        else pin.control.focus();
      }
    });
    body = form;
    setTimeout(() => { if (pin.control.isConnected) pin.control.focus(); }, 0);
  } else {
    body = h('div', { class: 'kiosk-card text-center', id: 'card-prompt' },
      cardPicture(),
      h('h2', { class: 'h3 mt-3', 'data-announce': '' }, t('cardInsert')),
      h('p', { class: 'lead', 'data-announce': '' }, t('cardInsertHelp')),
      card.reader ? null : h('div', { class: 'alert alert-warning', role: 'status', id: 'card-reader-missing' }, t('cardReaderMissing')));
  }
  append(el, [
    h('h1', { class: 'kiosk-title' }, t('welcome')),
    h('p', { class: 'lead' }, t('welcomeText')),
    h('p', {}, `${state.kiosk.branch_name} · ${state.kiosk.kiosk_id}`),
    body,
    card.pin_login
      ? h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg w-100', id: 'pin-login',
        onclick: () => { withCard = false; renderAgain(el); } }, t('pinLoginLink'))
      : null,
    corner]);
  watchCard(el);
}

// The containers whose touches already re-arm the idle reset: the login
// screen is drawn again on every switch (card, PIN, staff), the listeners
// only once.
const rearmed = new WeakSet();

export function renderLogin(el) {
  armReset(el);
  if (!rearmed.has(el)) {
    rearmed.add(el);
    const rearm = () => { if (!state.session && el.isConnected) armReset(el); };
    for (const type of ['pointerdown', 'keydown', 'input']) el.addEventListener(type, rearm, { capture: true });
  }
  if (mode === 'newpin') { renderNewPin(el); return; }
  // A staff PC on the LAN is a desk: it logs staff in, nobody else. On the
  // kiosk's own screen the citizen's login is the screen; staff reach theirs
  // by a discreet control in the corner.
  const desk = Boolean(state.kiosk.file_dialog);
  if (desk) mode = 'staff';
  const corner = desk ? null : mode === 'professional'
    ? h('button', { type: 'button', class: 'btn btn-link kiosk-corner', id: 'staff-corner',
      onclick: () => { mode = 'staff'; renderAgain(el); } }, t('staffCorner'))
    : h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg w-100 mt-3', id: 'back-to-professional',
      onclick: () => { mode = 'professional'; renderAgain(el); } }, t('backToProfessional'));

  const reader = !desk && state.card && state.card.configured;
  if (mode === 'professional' && reader && (withCard || !state.card.pin_login)) {
    renderCard(el, corner);
    return;
  }
  let first;
  let second;
  if (mode === 'professional') {
    first = cfField();
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
      showError(el, err);  // the server's words: for a lock, how long and what to do
      submit.disabled = false;
      // After a lock the PIN pad does not open again as if to invite another try.
      if (err.code === 'locked') second.control.blur();
      else second.control.focus();
    }
  });
  const shown = notice;
  notice = null;
  append(el, [
    h('h1', { class: 'kiosk-title' }, mode === 'staff' ? t('staffLoginTitle') : t('welcome')),
    mode === 'staff' ? null : h('p', { class: 'lead' }, t('welcomeText')),
    h('p', {}, `${state.kiosk.branch_name} · ${state.kiosk.kiosk_id}`),
    shown ? h('div', { class: 'alert alert-success', role: 'status', id: 'pin-set' }, shown) : null,
    form,
    mode === 'professional'
      ? h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg w-100', id: 'new-pin',
        onclick: () => { carriedCf = first.control.value.trim(); mode = 'newpin'; renderAgain(el); } }, t('newPinLink'))
      : null,
    mode === 'professional' && reader
      ? h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg w-100 mt-3', id: 'card-login-link',
        onclick: () => { withCard = true; renderAgain(el); } }, t('cardLoginLink'))
      : null,
    corner]);
}

function renderAgain(el) {
  clearInterval(cardTimer);
  while (el.firstChild) el.firstChild.remove();
  renderLogin(el);
}
