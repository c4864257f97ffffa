// Cassetto Kiosk web UI: start-up, header, routing, idle logout and wipe.
// Views import state.js, never this module.
import * as api from './api.js';
import { h, clear, icon } from './dom.js';
import { t, setLang, getLang } from './i18n.js';
import { initKeyboard, hideKeyboard } from './keyboard.js';
import { initAudio, toggleAudio, audioOn } from './audio.js';
import { renderLogin } from './views/login.js';
import { renderHome } from './views/home.js';
import { renderCompose, renderSent } from './views/compose.js';
import { renderList, renderToRead } from './views/lists.js';
import { renderThread } from './views/thread.js';
import { renderContacts } from './views/contacts.js';
import { renderQueue, renderStaffThread, renderWriteFirst, renderUnlock, resetQueue } from './views/staff.js';
import { renderTechnician } from './views/technician.js';
import { renderHelp } from './views/help.js';
import { state, showError, startSession, go } from './state.js';

const main = () => document.getElementById('main');

// ---- routing -------------------------------------------------------------

const professionalRoutes = {
  '': renderHome,
  nuova: renderCompose,
  inviata: renderSent,
  inviate: (el) => renderList(el, 'sent'),
  ricevute: (el) => renderList(el, 'received'),
  comunicazione: renderThread,
  contatti: renderContacts,
  daleggere: renderToRead,
};
const staffRoutes = {
  '': renderQueue,
  comunicazione: renderStaffThread,
  nuova: renderWriteFirst,
  sblocco: renderUnlock,
};

let routeSeq = 0;

async function route() {
  hideKeyboard();
  const seq = ++routeSeq;
  const [name = '', ...params] = location.hash.replace(/^#\/?/, '').split('/');
  renderHeader();
  // Each route renders into its own container, shown only if no newer route
  // started meanwhile (a view awaits the server).
  const el = h('div', { class: 'kiosk-view' });
  clear(main()).append(el);
  const role = state.session && state.session.role;
  let view;
  if (name === 'guida') view = renderHelp;  // every role, and before logging in
  else if (!role) view = renderLogin;
  else if (role === 'professional') view = professionalRoutes[name] || renderHome;
  else if (role === 'staff') view = staffRoutes[name] || renderQueue;
  else view = renderTechnician;
  try {
    await view(el, ...params);
  } catch (err) {
    if (seq === routeSeq) showError(el, err);
  }
  if (seq !== routeSeq) return;
  main().focus({ preventScroll: true });
  window.scrollTo(0, 0);
  window.dispatchEvent(new Event('kiosk:screen'));
}

// ---- header --------------------------------------------------------------

const prefs = { size: 0, contrast: false };

function renderHeader() {
  const top = clear(document.getElementById('top'));
  const s = state.session;
  if (s && s.role === 'professional') {
    const label = state.unread ? t('unreadCount', state.unread) : t('noneUnread');
    // Leads to what is unread, wherever it is: a reply to a thread the
    // professional started sits under "Inviate", not "Ricevute".
    top.append(h('a', { href: '#/daleggere', class: 'kiosk-alert', 'aria-label': label, title: label, id: 'unread-alert' },
      icon('it-mail'),
      state.unread ? h('span', { class: 'count', 'aria-hidden': 'true' }, String(state.unread)) : null));
  }
  top.append(h('div', { class: 'brand' }, t('appName'),
    h('small', {}, s ? s.display_name : t('appSub'))));
  if (s) {
    // Also when the address is already "#/" (no hashchange would follow).
    top.append(h('a', { href: '#/', class: 'btn', id: 'menu', onclick: (e) => {
      e.preventDefault();
      resetQueue();
      go('#/');
    } }, t('menu')));
  }
  // The size and contrast toggles change in place: the button under the
  // finger (and the focus of a keypad or switch user) stays where it was.
  const sizes = ['A', 'A+', 'A++'];
  const sizeButtons = sizes.map((label, i) => h('button', {
    type: 'button', class: 'btn', 'aria-pressed': String(prefs.size === i),
    'aria-label': `${t('textSize')} ${label}`,
    onclick: () => {
      prefs.size = i;
      applyPrefs();
      sizeButtons.forEach((b, j) => b.setAttribute('aria-pressed', String(j === i)));
    },
  }, label));
  top.append(h('div', { class: 'btn-group', role: 'group', 'aria-label': t('textSize') }, sizeButtons));
  top.append(h('button', {
    type: 'button', class: 'btn', 'aria-pressed': String(prefs.contrast),
    onclick: (e) => {
      prefs.contrast = !prefs.contrast;
      applyPrefs();
      e.currentTarget.setAttribute('aria-pressed', String(prefs.contrast));
    },
  }, t('contrast')));
  top.append(h('a', { href: '#/guida', class: 'btn', id: 'help' }, t('help')));
  // Audio mode: on the kiosk's own screen, for the person or the clerk
  // beside them (holding "5" on the keypad starts it too).
  if (!state.kiosk.file_dialog) {
    top.append(h('button', { type: 'button', class: 'btn', id: 'audio-toggle', 'aria-pressed': String(audioOn()),
      onclick: () => toggleAudio() }, t('audioToggle')));
  }
  top.append(h('button', {
    type: 'button', class: 'btn', lang: getLang() === 'it' ? 'en' : 'it',
    onclick: () => { setLang(getLang() === 'it' ? 'en' : 'it'); route(); },
  }, t('language')));
  if (s) {
    top.append(h('button', { type: 'button', class: 'btn', id: 'logout', onclick: () => logout() }, t('logout')));
  }
}

function applyPrefs() {
  const root = document.documentElement;
  root.classList.toggle('text-lg', prefs.size === 1);
  root.classList.toggle('text-xl', prefs.size === 2);
  root.classList.toggle('contrast', prefs.contrast);
}

// ---- session -------------------------------------------------------------

// Ends the session on the server, then wipes everything the browser holds
// and reloads the page, so that nothing personal survives.
let loggingOut = false;
export async function logout(reason = 'user') {
  // Once: the DELETE below may answer 401 (a session the server ended
  // already), which would otherwise start a second logout.
  if (loggingOut) return;
  loggingOut = true;
  idle.stop();
  clearInterval(cardWatch);
  const cardSession = state.cardSession;
  state.cardSession = false;
  const professional = state.session && state.session.role === 'professional';
  // 'lost': the server has ended the session already. After 'card' the
  // server has too, unless it restarted since the login: ended here again.
  if (state.session && reason !== 'lost') {
    try { await api.del('/api/session'); } catch { /* wiped anyway */ }
  }
  await wipe();
  history.replaceState(null, '', '/');
  if (professional && (reason === 'user' || reason === 'card')) await goodbye(reason, cardSession);
  location.reload();
}

// While a card session lasts, the reader is looked at twice a second: the
// card taken out ends the session (the server has ended it already) and
// wipes the screen, as walking away does.
let cardWatch = null;
function watchCardSession() {
  clearInterval(cardWatch);
  if (!state.cardSession) return;
  cardWatch = setInterval(async () => {
    if (!state.session) { clearInterval(cardWatch); return; }
    try {
      const now = await api.get('/api/card');
      if (!now.card) {
        clearInterval(cardWatch);
        logout('card');
      }
    } catch { /* the next look */ }
  }, 500);
}

// The end, as a cash machine says it: what to take away, then the welcome
// screen (after a tap, or by itself). Nothing of the person is left on it.
function goodbye(reason, cardSession) {
  hideKeyboard();
  renderHeader();
  const done = h('button', { type: 'button', class: 'btn btn-primary btn-lg', id: 'goodbye-done' }, t('goodbyeDone'));
  const removed = reason === 'card';
  clear(main()).append(h('div', { class: 'kiosk-view', id: 'goodbye', 'data-reason': reason },
    h('h1', { class: 'kiosk-title' }, removed ? t('cardRemovedTitle') : t('goodbyeTitle')),
    h('p', { class: 'lead' }, removed ? t('cardRemovedText') : cardSession ? t('goodbyeTextCard') : t('goodbyeText')),
    done));
  window.scrollTo(0, 0);
  done.focus();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 8000);
    done.addEventListener('click', () => { clearTimeout(timer); resolve(); });
  });
}

async function wipe() {
  try { sessionStorage.clear(); } catch { /* not available */ }
  try { localStorage.clear(); } catch { /* not available */ }
  try {
    if (window.caches) for (const key of await caches.keys()) await caches.delete(key);
  } catch { /* not available */ }
  for (const url of state.objectUrls) URL.revokeObjectURL(url);
  state.objectUrls = [];
  document.querySelectorAll('form').forEach((f) => f.reset());
  document.querySelectorAll('input, textarea').forEach((f) => { f.value = ''; });
  state.session = null;
  state.unread = 0;
  api.setCsrf('');
}

// ---- idle ----------------------------------------------------------------

const idle = (() => {
  let timer = null;
  let countdown = null;
  let lastServer = Date.now();
  let running = false;
  const overlay = () => document.getElementById('idle');

  function arm() {
    clearTimeout(timer);
    // In audio mode a person has three times as long: everything is heard.
    timer = setTimeout(warn, (state.kiosk.idle_seconds || 120) * 1000 * (state.audio ? 3 : 1));
  }
  function warn() {
    let left = state.kiosk.countdown_seconds || 30;
    const box = clear(overlay());
    const seconds = h('div', { class: 'seconds', 'aria-hidden': 'true' }, String(left));
    const text = h('p', { id: 'idle-text', class: 'lead' }, t('idleText', left));
    const button = h('button', { type: 'button', class: 'btn btn-primary btn-lg', id: 'idle-continue', onclick: resume }, t('continue'));
    box.append(h('h2', { id: 'idle-title' }, t('stillThere')), seconds, text, button);
    box.hidden = false;
    hideKeyboard();
    button.focus();
    countdown = setInterval(() => {
      left -= 1;
      seconds.textContent = String(left);
      text.textContent = t('idleText', left);
      if (left <= 0) {
        clearInterval(countdown);
        logout('idle');
      }
    }, 1000);
  }
  function resume() {
    clearInterval(countdown);
    overlay().hidden = true;
    keepAlive(true);
    arm();
  }
  function keepAlive(force) {
    // The server's session has its own idle timer: touch it while the user works.
    if (force || Date.now() - lastServer > 60000) {
      lastServer = Date.now();
      api.get('/api/session').then((s) => { state.unread = s.unread || 0; }).catch(() => {});
    }
  }
  function activity() {
    if (!running || !overlay().hidden) return;
    arm();
    keepAlive(false);
  }
  for (const type of ['pointerdown', 'keydown', 'touchstart', 'input', 'wheel']) {
    document.addEventListener(type, activity, { capture: true, passive: true });
  }
  api.onServerContact(() => { lastServer = Date.now(); });
  return {
    start() { running = true; arm(); },
    stop() { running = false; clearTimeout(timer); clearInterval(countdown); },
  };
})();

// ---- start ---------------------------------------------------------------

async function boot() {
  // The shell is not a document: no context menu, no drag.
  document.addEventListener('contextmenu', (e) => e.preventDefault());
  document.addEventListener('dragstart', (e) => e.preventDefault());
  initKeyboard();
  initAudio();
  window.addEventListener('kiosk:session', () => { idle.start(); watchCardSession(); });
  api.onSessionLost(() => { if (state.session) logout('lost'); });
  state.kiosk = await api.get('/api/kiosk');
  try {
    state.card = await api.get('/api/card');  // 403 off the kiosk's screen: no reader there
  } catch { state.card = null; }
  try {
    startSession(await api.get('/api/session'));
  } catch { /* not logged in */ }
  window.addEventListener('hashchange', route);
  window.addEventListener('kiosk:header', renderHeader);
  await route();
}

boot().catch((err) => showError(main(), err));
