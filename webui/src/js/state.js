// What the UI knows and how a view moves on, shared by app.js and the views
// (which never import app.js: no import cycle). app.js answers the events:
// "hashchange" routes again, "kiosk:header" redraws the header,
// "kiosk:session" starts the idle timer.
import * as api from './api.js';
import { h } from './dom.js';

// Lives in memory only: a logout reloads the page.
export const state = {
  kiosk: null,      // GET /api/kiosk
  session: null,    // GET /api/session, or null
  topics: [],
  unread: 0,
  objectUrls: [],   // previews to revoke on logout
  card: null,       // GET /api/card on the kiosk's screen (null: no reader to show)
  cardSession: false,  // logged in with the card: taking it out ends the session
  audio: false,     // audio mode (audio.js): speech and the keypad
  selftest: null,   // the technician's last self-test, shown once after it ran
};

export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

// A server error shown at the top of a view, read out by screen readers.
export function showError(container, err) {
  const box = container.querySelector('.kiosk-error') ||
    container.insertBefore(h('div', { class: 'alert alert-danger kiosk-error', role: 'alert' }), container.firstChild);
  box.textContent = err && err.message ? err.message : String(err);
  box.scrollIntoView({ block: 'center' });
  return box;
}

export async function refreshUnread() {
  if (!state.session || state.session.role !== 'professional') return;
  try {
    const s = await api.get('/api/session');
    state.unread = s.unread || 0;
    window.dispatchEvent(new Event('kiosk:header'));
  } catch { /* a lost session is handled by the API layer */ }
}

export function startSession(s) {
  state.session = s;
  state.unread = s.unread || 0;
  api.setCsrf(s.csrf_token);
  window.dispatchEvent(new Event('kiosk:session'));
}
