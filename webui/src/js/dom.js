// Tiny DOM helpers. Text always goes in as text nodes: nothing from the
// server or the user is ever parsed as HTML.
import { getLang } from './i18n.js';

// h('button', {class: 'btn', onclick: fn}, 'Testo', child…)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// An icon from Bootstrap Italia's sprite, hidden from screen readers.
export function icon(name, cls = 'icon') {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const use = document.createElementNS(ns, 'use');
  use.setAttribute('href', `${document.body.dataset.assets}/vendor/bootstrap-italia/svg/sprites.svg#${name}`);
  svg.append(use);
  return svg;
}

let uid = 0;
export function nextId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled form field. kind: input type, or 'textarea' / 'select'.
export function field({ label, kind = 'text', name, value = '', help, osk, options, attrs = {} }) {
  const id = nextId(name || 'f');
  const helpId = help ? `${id}-help` : undefined;
  let control;
  if (kind === 'textarea') {
    control = h('textarea', { id, name, class: 'form-control', rows: 6, 'aria-describedby': helpId, ...attrs });
    control.value = value;
  } else if (kind === 'select') {
    control = h('select', { id, name, class: 'form-select', 'aria-describedby': helpId, ...attrs },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  } else if (kind === 'email') {
    // type=email has no selection API: the on-screen keyboard could not type
    // into it. A text input with the e-mail keyboard hint instead.
    control = h('input', { id, name, type: 'text', inputmode: 'email', autocapitalize: 'none',
      spellcheck: 'false', class: 'form-control', 'aria-describedby': helpId, ...attrs });
    control.value = value;
  } else {
    control = h('input', { id, name, type: kind, class: 'form-control', 'aria-describedby': helpId, ...attrs });
    control.value = value;
  }
  if (osk) control.dataset.osk = osk;
  const wrap = h('div', { class: 'mb-4' },
    h('label', { for: id, class: 'form-label fw-semibold' }, label),
    control,
    help ? h('div', { id: helpId, class: 'form-text' }, help) : null);
  return { wrap, control };
}

// "1,5 KB" on the Italian screen, "1.5 KB" on the English one.
export function formatBytes(n) {
  const point = getLang() === 'en' ? '.' : ',';
  if (n < 1024) return `${n} ${getLang() === 'en' ? 'bytes' : 'byte'}`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1).replace('.', point)} KB`;
  return `${(n / (1024 * 1024)).toFixed(2).replace('.', point)} MB`;
}

// "27/11/2026 10:42" in Rome's time, whatever the kiosk's clock zone.
export function formatDate(iso, lang = 'it') {
  const d = new Date(iso);
  return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'it-IT', {
    timeZone: 'Europe/Rome', day: '2-digit', month: '2-digit', year: 'numeric',
    hour: '2-digit', minute: '2-digit',
  }).format(d);
}
