// On-screen keyboard, shown under any field that has data-osk:
//   cf     upper-case letters and digits (codice fiscale)
//   pin    digits and letters, with a shift key: PINs are case-sensitive
//   text   Italian layout with accented letters
//   email  lower case, digits and @ . - _ +
//   phone  digits, + and space
//   digits digits only (a one-time code)
// Every layout has a clear-field key, and a labelled space key where a space
// may be typed. Keys never take the focus, so the caret stays in the field; a
// hardware keyboard keeps working beside it.
//
// Two touch details: a tap on a button while the keyboard is open must act
// the first time (the keyboard closes only after the tap has landed, so the
// button does not move under the finger), and the field being typed stays
// visible above the keyboard (landscape screens are short).

import { h, clear } from './dom.js';
import { t } from './i18n.js';

const LETTERS = ['QWERTYUIOP', 'ASDFGHJKL', 'ZXCVBNM'];
const LAYOUTS = {
  cf: [['1234567890'], ...LETTERS.map((r) => [r])],
  pin: [['1234567890'], ...LETTERS.map((r) => [r])],
  text: [['1234567890'], ['qwertyuiop', 'è'], ['asdfghjkl', 'òàù'], ['zxcvbnm', ',.\'?!'], ['é', 'ì', '€', '-', '@', ':', '(', ')', '/']],
  email: [['1234567890'], ['qwertyuiop'], ['asdfghjkl'], ['zxcvbnm'], ['@', '.', '-', '_', '+']],
  phone: [['123'], ['456'], ['789'], ['+', '0']],
  digits: [['123'], ['456'], ['789'], ['0']],
};
const HAS_SPACE = { text: true, phone: true };

let panel;
let target = null;
let shift = false;     // text: the next letter only; pin: until pressed again

// Inserts at the caret. Inputs without a selection API get the text at the end.
function insert(text) {
  if (!target) return;
  const max = target.maxLength > 0 ? target.maxLength : Infinity;
  let start;
  let end;
  try {
    start = target.selectionStart ?? target.value.length;
    end = target.selectionEnd ?? target.value.length;
  } catch {
    start = end = target.value.length;
  }
  if (target.value.length - (end - start) + text.length > max) return;
  try {
    target.setRangeText(text, start, end, 'end');
  } catch {
    target.value += text;
  }
  target.dispatchEvent(new Event('input', { bubbles: true }));
}

function backspace() {
  if (!target) return;
  try {
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? target.value.length;
    if (start === end && start > 0) {
      target.setRangeText('', start - 1, end, 'end');
    } else {
      target.setRangeText('', start, end, 'end');
    }
  } catch {
    target.value = [...target.value].slice(0, -1).join('');
  }
  target.dispatchEvent(new Event('input', { bubbles: true }));
}

function clearField() {
  if (!target) return;
  target.value = '';
  target.dispatchEvent(new Event('input', { bubbles: true }));
}

function key(label, action, cls = '', aria = null, id = null) {
  return h('button', {
    type: 'button',
    class: cls,
    'aria-label': aria || label,
    dataset: { key: id || label },
    onpointerdown: (e) => e.preventDefault(), // keep the focus in the field
    onmousedown: (e) => e.preventDefault(),
    onclick: action,
  }, label);
}

function render() {
  clear(panel);
  const kind = target.dataset.osk;
  const layout = LAYOUTS[kind] || LAYOUTS.text;
  const cased = kind === 'text' || kind === 'pin';
  for (const row of layout) {
    const keys = h('div', { class: 'row-keys' });
    for (const group of row) {
      for (const ch of [...group]) {
        let c = ch;
        if (kind === 'text' && shift) c = ch.toUpperCase();
        if (kind === 'pin' && shift) c = ch.toLowerCase();
        keys.append(key(c, () => {
          insert(c);
          if (kind === 'text' && shift) { shift = false; render(); }
        }));
      }
    }
    panel.append(keys);
  }
  const last = h('div', { class: 'row-keys' });
  if (cased) {
    const label = kind === 'pin' ? (shift ? 'ABC' : 'abc') : '⇧';
    // A spoken name starts with what the key shows (WCAG 2.5.3).
    const aria = kind === 'pin'
      ? `${label}, ${shift ? t('oskUpper') : t('oskLower')}`
      : t('oskShift');
    last.append(key(label, () => { shift = !shift; render(); }, 'wide shift', aria, 'shift'));
  }
  if (HAS_SPACE[kind]) last.append(key(t('oskSpace'), () => insert(' '), 'space', t('oskSpace'), ' '));
  if (target.tagName === 'TEXTAREA') last.append(key('↵', () => insert('\n'), 'wide', t('oskNewline'), '\n'));
  last.append(key('⌫', backspace, 'wide', t('oskBackspace'), 'backspace'));
  last.append(key(t('oskClear'), clearField, 'wide clear', t('oskClear'), 'clear'));
  last.append(key('OK', () => target && target.blur(), 'wide ok', `OK, ${t('oskDone')}`, 'ok'));
  panel.append(last);
}

// Keeps the field in view above the keyboard: the page gets room at the
// bottom as tall as the keyboard, and scrolls the field up if it is covered.
// When the form's main button (its submit button) fits above the keyboard
// together with the field, it is brought into view too: the person sees
// "Invia" or "Accedi" without closing the keyboard or scrolling.
function keepVisible(el) {
  const height = panel.getBoundingClientRect().height;
  document.body.style.paddingBottom = `${Math.ceil(height) + 16}px`;
  const rect = el.getBoundingClientRect();
  const room = window.innerHeight - height;
  const form = el.closest('form');
  const primary = form && form.querySelector('button[type=submit]');
  const p = primary && primary.getBoundingClientRect();
  if (p && p.height > 0 && p.bottom > rect.bottom && p.bottom - rect.top <= room - 16) {
    if (p.bottom > room - 8 || rect.top < 0) window.scrollBy({ top: p.bottom - room + 8, behavior: 'instant' });
    return;
  }
  if (rect.bottom > room - 8 || rect.top < 0) {
    window.scrollBy({ top: rect.bottom - room + Math.min(rect.height + 24, room / 3), behavior: 'instant' });
  }
}

function show(el) {
  const same = target === el;
  target = el;
  if (!same) shift = false;
  render();
  panel.hidden = false;
  document.body.classList.add('osk-open');
  keepVisible(el);
}

export function hideKeyboard() {
  target = null;
  if (panel) panel.hidden = true;
  document.body.classList.remove('osk-open');
  document.body.style.paddingBottom = '';
}

// Closes the keyboard unless the focus went to another field that wants it.
function hideUnlessTyping() {
  const a = document.activeElement;
  if (!(a && a.dataset && a.dataset.osk)) hideKeyboard();
}

// A tap in progress, from the finger (or mouse button) going down until its
// click has been handled. Under touch, Chromium sends pointerdown and
// pointerup first, and only after the finger lifts the compatibility
// mousedown (which moves the focus), mouseup and click: the keyboard must not
// close, and the page must not move, before that click has landed.
// Each tap has a number, and a timer set for one tap cannot end the next: on
// a busy box Chromium runs input before timers, so the previous key's
// "end of tap" could run after the next finger went down, and the keyboard
// then closed under it (the page moved and the click landed beside "Accedi").
let tapping = false;
let tapSeq = 0;
let tapTimer = 0;

function endTap(seq) {
  if (seq !== tapSeq || !tapping) return;
  clearTimeout(tapTimer);
  tapping = false;
  if (target && document.activeElement !== target) hideUnlessTyping();
}

export function initKeyboard() {
  panel = document.getElementById('osk');
  document.addEventListener('pointerdown', () => { tapSeq += 1; tapping = true; clearTimeout(tapTimer); }, true);
  // A lift with no click after it (a swipe, a long press) ends the tap too,
  // after a while: on a busy box the click comes late (700 ms was seen too
  // short under load, and the keyboard then closed under the finger's click).
  const up = () => {
    const seq = tapSeq;
    clearTimeout(tapTimer);
    tapTimer = setTimeout(() => endTap(seq), 2000);
  };
  document.addEventListener('pointerup', up, true);
  document.addEventListener('pointercancel', up, true);
  // After the click's own handlers have run on the unmoved page.
  document.addEventListener('click', () => {
    const seq = tapSeq;
    if (tapping) setTimeout(() => endTap(seq), 0);
  }, true);
  document.addEventListener('focusin', (e) => {
    if (e.target instanceof HTMLElement && e.target.dataset.osk) {
      show(e.target);
    } else if (!panel.contains(e.target) && !tapping) {
      hideKeyboard();
    }
  });
  document.addEventListener('focusout', (e) => {
    if (e.target === target && !(e.relatedTarget && e.relatedTarget.dataset && e.relatedTarget.dataset.osk)) {
      // A tap elsewhere closes it once the tap has landed; the next field reopens it.
      if (!tapping) setTimeout(() => { if (!tapping) hideUnlessTyping(); }, 0);
    }
  });
  window.addEventListener('resize', () => { if (target) keepVisible(target); });
}
