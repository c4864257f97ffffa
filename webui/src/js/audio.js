// Audio mode: the kiosk spoken and worked by the numeric keypad, for a
// person who cannot see the screen (EN 301 549 5.1.3 and 5.1.6, 8.4). The
// voice is made on the box (POST /api/speech, libespeak-ng) and heard in the
// headphones. It starts when "5" is held for two seconds (or from the
// header's «Voce» button), and ends with the session: the page reloads at
// every logout and idle wipe, and the next person starts silent.
//
// The keypad (Numpad key events; the keyboard and touch keep working):
//   2 / 8  next / previous control     5 or Invio  activate, or type in a field
//   0      back                         7  repeat   9  help   1  pause / resume
//   + / -  louder / softer              * / /  faster / slower
//   .      read the field (or delete the last letter while typing)
// Typing in a field, as on a phone: 2 = a b c à, 3 = d e f è é, 4 = g h i ì,
// 5 = j k l, 6 = m n o ò, 7 = p q r s, 8 = t u v ù, 9 = w x y z, 1 = . , @ -
// _ ' /, 0 = space; each key ends with its digit. The same key again within a
// second picks the next letter; Invio ends typing. PIN digits are spoken as
// "asterisco", never as themselves.
import { getLang, t } from './i18n.js';
import { state } from './state.js';

const audio = {
  on: false,
  rate: 175,
  volume: 100,
  last: '',
  lastPersonal: false,
  editing: null,     // the field being typed in
  tap: null,         // { key, index, at } of the last multi-tap
};
let seq = 0;
const player = new Audio();
let playingUrl = null;

export function audioOn() { return audio.on; }

const CYCLES = {
  Numpad1: ['.', ',', '@', '-', '_', '\'', '/', '1'],
  Numpad2: ['a', 'b', 'c', 'à', '2'],
  Numpad3: ['d', 'e', 'f', 'è', 'é', '3'],
  Numpad4: ['g', 'h', 'i', 'ì', '4'],
  Numpad5: ['j', 'k', 'l', '5'],
  Numpad6: ['m', 'n', 'o', 'ò', '6'],
  Numpad7: ['p', 'q', 'r', 's', '7'],
  Numpad8: ['t', 'u', 'v', 'ù', '8'],
  Numpad9: ['w', 'x', 'y', 'z', '9'],
  Numpad0: [' ', '0'],
};

// Says `text` now, cutting off what was being said.
export async function say(text, { personal = false } = {}) {
  if (!audio.on || !text) return;
  audio.last = text;
  audio.lastPersonal = personal;
  const mine = ++seq;
  let res;
  try {
    res = await fetch('/api/speech', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, cache: 'no-store',
      body: JSON.stringify({ text, lang: getLang(), rate: audio.rate, volume: audio.volume, personal }),
    });
  } catch { return; }
  if (!res.ok || mine !== seq) return;
  const blob = await res.blob();
  if (mine !== seq) return;
  if (playingUrl) URL.revokeObjectURL(playingUrl);
  playingUrl = URL.createObjectURL(blob);
  player.src = playingUrl;
  player.play().catch(() => {});
}

function visible(el) {
  if (el.closest('[hidden]') || el.closest('#osk')) return false;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
}

// The controls a person moves through, in reading order: the idle question
// while it is up, else the header's and the screen's.
function controls() {
  const idle = document.getElementById('idle');
  // The screen's own first, then the header's (menu, help, exit…).
  const scope = idle && !idle.hidden ? [idle] : [document.getElementById('main'), document.querySelector('header')];
  const list = [];
  for (const root of scope) {
    if (!root) continue;
    for (const el of root.querySelectorAll('a[href], button, input, select, textarea')) {
      if (!el.disabled && visible(el) && el.id !== 'audio-toggle') list.push(el);
    }
  }
  return list;
}

function labelOf(el) {
  if (el.labels && el.labels.length) return el.labels[0].textContent.trim();
  // A button in a list row ("Allega" beside a file) says the row too.
  const row = el.tagName === 'BUTTON' && el.closest('li');
  if (row) {
    const own = (el.innerText || el.textContent || '').trim();
    const rest = (row.innerText || row.textContent || '').replace(own, '').split(/\n+/).map((s) => s.trim()).filter(Boolean);
    return [own, ...rest].join(', ');
  }
  // A tile's title and its line below it, as two phrases.
  const text = el.getAttribute('aria-label') || el.innerText || el.textContent || '';
  return text.split(/\n+/).map((s) => s.replace(/\s+/g, ' ').trim()).filter(Boolean).join(', ');
}

const SECRET_FIELDS = new Set(['pin', 'card_pin', 'new_pin', 'new_pin_again', 'password']);

// "Codice fiscale, campo, RSSMRA…, 3 di 11": label, role, state, position.
function describe(el, index, count) {
  const it = getLang() !== 'en';
  const parts = [labelOf(el)];
  let personal = false;
  const tag = el.tagName.toLowerCase();
  if (el.type === 'checkbox' || el.type === 'radio') {
    parts.push(it ? 'casella' : 'checkbox', el.checked ? (it ? 'selezionata' : 'checked') : (it ? 'non selezionata' : 'not checked'));
  } else if (tag === 'input' || tag === 'textarea') {
    parts.push(it ? 'campo' : 'field');
    if (SECRET_FIELDS.has(el.name) || el.type === 'password') {
      const n = el.value.length;
      parts.push(n ? (it ? `${n} caratteri scritti` : `${n} characters typed`) : (it ? 'vuoto' : 'empty'));
    } else if (el.value) {
      parts.push(el.value);
      personal = true;  // what a person typed is theirs
    } else {
      parts.push(it ? 'vuoto' : 'empty');
    }
  } else if (tag === 'select') {
    parts.push(it ? 'elenco' : 'list', el.options[el.selectedIndex] ? el.options[el.selectedIndex].text : '');
  } else if (tag === 'a') {
    parts.push(it ? 'collegamento' : 'link');
  } else {
    parts.push(it ? 'pulsante' : 'button');
  }
  if (el.getAttribute('aria-pressed') === 'true') parts.push(it ? 'selezionato' : 'selected');
  parts.push(it ? `${index + 1} di ${count}` : `${index + 1} of ${count}`);
  // Names of people and the content of their messages are personal too.
  if (el.closest('.kiosk-list, .kiosk-thread, #sent-summary')) personal = true;
  return { text: parts.filter(Boolean).join(', '), personal };
}

// A notice that names an address, a codice fiscale or a protocol is personal.
function looksPersonal(text) {
  return /@|\b[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]\b|INPS\.\d{4}\./i.test(text);
}

function move(step) {
  const list = controls();
  if (!list.length) { say(t('audioNothing')); return; }
  let i = list.indexOf(document.activeElement);
  i = i < 0 ? (step > 0 ? 0 : list.length - 1) : (i + step + list.length) % list.length;
  const el = list[i];
  el.focus({ preventScroll: false });
  const d = describe(el, i, list.length);
  say(d.text, { personal: d.personal });
}

// The screen as it opens: its title, what it says first, how many controls.
export function announceScreen() {
  if (!audio.on) return;
  const mainEl = document.getElementById('main');
  const title = mainEl && mainEl.querySelector('h1');
  const bits = [title ? title.textContent.trim() : ''];
  // A thread's title is its subject: the person's own words.
  let personal = Boolean(title && title.classList.contains('selectable'));
  for (const el of mainEl ? mainEl.querySelectorAll('[data-announce], .alert, .kiosk-error, #protocol, #sent-summary') : []) {
    if (!visible(el)) continue;
    // Line by line as the screen shows it ("Oggetto, nota"), not run together.
    const text = el.getAttribute('aria-label') || el.innerText || el.textContent;
    bits.push(text.split(/\n+/).map((s) => s.replace(/\s+/g, ' ').trim()).filter(Boolean).join(', '));
    if (el.id === 'protocol' || el.id === 'sent-summary' || el.dataset.announce === 'personal') personal = true;
  }
  const unread = document.getElementById('unread-alert');
  if (unread && state.unread) bits.push(unread.getAttribute('aria-label'));
  const n = controls().length;
  bits.push(getLang() === 'en' ? `${n} controls. 2 for the next, 9 for help.` : `${n} comandi. 2 per il successivo, 9 per l'aiuto.`);
  say(bits.filter(Boolean).map((b) => b.replace(/[.\s]+$/, '')).join('. '), { personal });
}

function typeInto(el, key) {
  const now = Date.now();
  const secret = SECRET_FIELDS.has(el.name) || el.type === 'password';
  const digitsOnly = el.dataset.osk === 'digits' || el.inputMode === 'numeric';
  const upper = el.dataset.osk === 'cf';
  const digit = key.replace('Numpad', '');
  let cycle = digitsOnly ? [digit] : CYCLES[key];
  if (el.dataset.osk === 'pin') cycle = [digit, ...CYCLES[key].filter((c) => /[a-z]/.test(c)), ...CYCLES[key].filter((c) => /[a-z]/.test(c)).map((c) => c.toUpperCase())];
  if (upper) cycle = CYCLES[key].filter((c) => /[a-z0-9]/.test(c)).map((c) => c.toUpperCase());
  if (!cycle.length) cycle = [digit];
  const again = audio.tap && audio.tap.key === key && now - audio.tap.at < 1000 && cycle.length > 1;
  let value = el.value;
  let index = 0;
  if (again) {
    index = (audio.tap.index + 1) % cycle.length;
    value = value.slice(0, -1);
  }
  const max = Number(el.getAttribute('maxlength')) || Infinity;
  if (!again && value.length >= max) { say(getLang() === 'en' ? 'The field is full' : 'Il campo è pieno'); return; }
  const ch = cycle[index];
  el.value = value + ch;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  audio.tap = { key, index, at: now };
  const it = getLang() !== 'en';
  if (secret) say(it ? 'asterisco' : 'asterisk');
  else if (ch === ' ') say(it ? 'spazio' : 'space');
  else say(ch, { personal: true });
}

function startEditing(el) {
  audio.editing = el;
  audio.tap = null;
  say(t('audioTyping', labelOf(el)));
}

function stopEditing() {
  const el = audio.editing;
  audio.editing = null;
  audio.tap = null;
  if (!el) return;
  const it = getLang() !== 'en';
  const secret = SECRET_FIELDS.has(el.name) || el.type === 'password';
  if (secret) say(it ? `Fine scrittura: ${el.value.length} caratteri` : `Done: ${el.value.length} characters`);
  else say((it ? 'Fine scrittura: ' : 'Done: ') + (el.value || (it ? 'vuoto' : 'empty')), { personal: true });
}

function activate() {
  const el = document.activeElement;
  if (!el || el === document.body || !controls().includes(el)) { move(1); return; }
  const tag = el.tagName.toLowerCase();
  if ((tag === 'input' && el.type !== 'checkbox' && el.type !== 'radio') || tag === 'textarea') {
    startEditing(el);
    return;
  }
  if (el.type === 'checkbox' || el.type === 'radio') {
    el.click();
    const list = controls();
    const d = describe(el, list.indexOf(el), list.length);
    say(d.text);
    return;
  }
  if (tag === 'select') {
    el.selectedIndex = (el.selectedIndex + 1) % el.options.length;
    el.dispatchEvent(new Event('change', { bubbles: true }));
    say(el.options[el.selectedIndex].text);
    return;
  }
  el.click();
  // A toggle (a topic) says its new state; anything else announces its result.
  setTimeout(() => {
    if (el.isConnected && el.hasAttribute('aria-pressed')) {
      const list = controls();
      const d = describe(el, list.indexOf(el), list.length);
      say(d.text);
    }
  }, 50);
}

function back() {
  const menu = document.getElementById('menu');
  if (menu && visible(menu)) menu.click();
  else history.back();
}

function setOn(on) {
  audio.on = on;
  document.body.classList.toggle('kiosk-audio', on);
  const toggle = document.getElementById('audio-toggle');
  if (toggle) toggle.setAttribute('aria-pressed', String(on));
  if (on) {
    state.audio = true;
    say(`${t('audioOn')} ${t('audioKeys')}`);
  } else {
    state.audio = false;
    seq += 1;
    player.pause();
  }
}

export function toggleAudio() { setOn(!audio.on); }

// Errors and notices said as they appear (the scanner's "metta il foglio
// sul vetro", "pagina successiva?"); the idle question when it comes, and
// its countdown at 10 and 5 seconds, not every second.
function watchAlerts() {
  const said = new WeakMap();
  new MutationObserver(() => {
    if (!audio.on) return;
    const idle = document.getElementById('idle');
    if (idle && !idle.hidden) {
      const left = Number((idle.querySelector('.seconds') || {}).textContent);
      const last = said.get(idle);
      if (last === undefined || (left !== last && (left === 10 || left === 5))) {
        said.set(idle, left);
        say(idle.innerText.replace(/\s+/g, ' ').trim());
      }
      return;
    }
    if (idle) said.delete(idle);
    for (const el of document.querySelectorAll('.kiosk-error, #main [role=alert], #main [role=status], #main [aria-live]')) {
      if (!visible(el)) continue;
      const text = el.textContent.replace(/\s+/g, ' ').trim();
      if (!text || said.get(el) === text) continue;
      said.set(el, text);
      say(text, { personal: looksPersonal(text) });
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });
}

export function initAudio() {
  let held = null;
  document.addEventListener('keydown', (e) => {
    if (!e.code.startsWith('Numpad')) return;
    if (!audio.on) {
      // Held two seconds, "5" starts audio mode; a tap is an ordinary 5.
      if (e.code === 'Numpad5' && !e.repeat && !held) held = setTimeout(() => { held = null; setOn(true); }, 2000);
      return;
    }
    e.preventDefault();
    e.stopPropagation();
    if (e.repeat) return;
    const key = e.code;
    if (audio.editing) {
      if (!audio.editing.isConnected) { audio.editing = null; } else {
        if (key === 'NumpadEnter') { stopEditing(); return; }
        if (key === 'NumpadDecimal') {
          const el = audio.editing;
          el.value = el.value.slice(0, -1);
          el.dispatchEvent(new Event('input', { bubbles: true }));
          audio.tap = null;
          say(getLang() === 'en' ? 'deleted' : 'cancellato');
          return;
        }
        if (CYCLES[key]) { typeInto(audio.editing, key); return; }
      }
    }
    switch (key) {
      case 'Numpad2': case 'Numpad6': move(1); break;
      case 'Numpad8': case 'Numpad4': move(-1); break;
      case 'Numpad5': case 'NumpadEnter': activate(); break;
      case 'Numpad0': back(); break;
      case 'Numpad7': say(audio.last, { personal: audio.lastPersonal }); break;
      case 'Numpad9': say(t('audioKeys')); break;
      case 'Numpad1':
        if (player.paused) player.play().catch(() => {}); else player.pause();
        break;
      case 'NumpadAdd': audio.volume = Math.min(200, audio.volume + 20); say(t('audioLouder')); break;
      case 'NumpadSubtract': audio.volume = Math.max(20, audio.volume - 20); say(t('audioSofter')); break;
      case 'NumpadMultiply': audio.rate = Math.min(400, audio.rate + 25); say(t('audioFaster')); break;
      case 'NumpadDivide': audio.rate = Math.max(90, audio.rate - 25); say(t('audioSlower')); break;
      case 'NumpadDecimal': {
        const el = document.activeElement;
        const list = controls();
        if (el && list.includes(el)) { const d = describe(el, list.indexOf(el), list.length); say(d.text, { personal: d.personal }); }
        break;
      }
      default: break;
    }
  }, { capture: true });
  document.addEventListener('keyup', (e) => {
    if (e.code === 'Numpad5' && held) { clearTimeout(held); held = null; }
  }, { capture: true });
  window.addEventListener('kiosk:screen', () => { audio.editing = null; announceScreen(); });
  watchAlerts();
}
