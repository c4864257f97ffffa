// On-screen keyboard, shown under any field that has data-osk:
//   cf     upper-case letters and digits (codice fiscale)
//   pin    digits first, then letters
//   text   Italian layout with accented letters
//   email  lower case, digits and @ . - _ +
//   phone  digits, + and space
// Keys never take the focus, so the caret stays in the field; a hardware
// keyboard keeps working beside it.

import { h, clear } from './dom.js';

const LETTERS = ['QWERTYUIOP', 'ASDFGHJKL', 'ZXCVBNM'];
const LAYOUTS = {
  cf: [['1234567890'], ...LETTERS.map((r) => [r])],
  pin: [['1234567890'], ...LETTERS.map((r) => [r])],
  text: [['1234567890'], ['qwertyuiop', 'è'], ['asdfghjkl', 'òàù'], ['zxcvbnm', ',.\'?!'], ['é', 'ì', '€', '-', '@', ':', '(', ')', '/']],
  email: [['1234567890'], ['qwertyuiop'], ['asdfghjkl'], ['zxcvbnm'], ['@', '.', '-', '_', '+']],
  phone: [['123'], ['456'], ['789'], ['+', '0', ' ']],
};

let panel;
let target = null;
let shift = false;

function insert(text) {
  if (!target) return;
  const start = target.selectionStart ?? target.value.length;
  const end = target.selectionEnd ?? target.value.length;
  const max = target.maxLength > 0 ? target.maxLength : Infinity;
  if (target.value.length - (end - start) + text.length > max) return;
  target.setRangeText(text, start, end, 'end');
  target.dispatchEvent(new Event('input', { bubbles: true }));
}

function backspace() {
  if (!target) return;
  const start = target.selectionStart ?? target.value.length;
  const end = target.selectionEnd ?? target.value.length;
  if (start === end && start > 0) {
    target.setRangeText('', start - 1, end, 'end');
  } else {
    target.setRangeText('', start, end, 'end');
  }
  target.dispatchEvent(new Event('input', { bubbles: true }));
}

function key(label, action, cls = '') {
  return h('button', {
    type: 'button',
    class: cls,
    'aria-label': label === ' ' ? 'spazio' : label,
    onpointerdown: (e) => e.preventDefault(), // keep the focus in the field
    onclick: action,
  }, label);
}

function render() {
  clear(panel);
  const kind = target.dataset.osk;
  const layout = LAYOUTS[kind] || LAYOUTS.text;
  for (const row of layout) {
    const keys = h('div', { class: 'row-keys' });
    for (const group of row) {
      for (const ch of [...group]) {
        const c = kind === 'text' && shift ? ch.toUpperCase() : ch;
        keys.append(key(c, () => { insert(c); if (shift) { shift = false; render(); } }));
      }
    }
    panel.append(keys);
  }
  const last = h('div', { class: 'row-keys' });
  if (kind === 'text') {
    last.append(key('⇧', () => { shift = !shift; render(); }, 'wide'));
    last.append(key(' ', () => insert(' '), 'space'));
    if (target.tagName === 'TEXTAREA') last.append(key('↵', () => insert('\n'), 'wide'));
  }
  last.append(key('⌫', backspace, 'wide'));
  last.append(key('OK', () => target && target.blur(), 'wide ok'));
  panel.append(last);
}

function show(el) {
  target = el;
  shift = false;
  render();
  panel.hidden = false;
  document.body.classList.add('osk-open');
  el.scrollIntoView({ block: 'center' });
}

export function hideKeyboard() {
  target = null;
  if (panel) panel.hidden = true;
  document.body.classList.remove('osk-open');
}

export function initKeyboard() {
  panel = document.getElementById('osk');
  document.addEventListener('focusin', (e) => {
    if (e.target instanceof HTMLElement && e.target.dataset.osk) {
      show(e.target);
    } else if (!panel.contains(e.target)) {
      hideKeyboard();
    }
  });
  document.addEventListener('focusout', (e) => {
    if (e.target === target && !(e.relatedTarget && e.relatedTarget.dataset && e.relatedTarget.dataset.osk)) {
      // A tap elsewhere closes it; the next field reopens it.
      setTimeout(() => {
        if (!(document.activeElement && document.activeElement.dataset && document.activeElement.dataset.osk)) {
          hideKeyboard();
        }
      }, 0);
    }
  });
}
