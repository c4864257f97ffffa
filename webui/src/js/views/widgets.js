// Widgets shared by several views: topics, a character counter, an error
// under its field, the missing-PEC warning, and the print and mail-receipt
// buttons.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { state, showError } from '../state.js';

export async function loadTopics() {
  if (!state.topics.length) state.topics = await api.get('/api/topics');
  return state.topics;
}

export function counter(control, max) {
  const out = h('div', { class: 'kiosk-counter', 'aria-live': 'polite' }, t('chars', 0, max));
  const update = () => { out.textContent = t('chars', [...control.value].length, max); };
  control.addEventListener('input', update);
  update();
  return out;
}

// An error shown under its field (aria-invalid, described by the message),
// gone as soon as the field is changed.
export function fieldError(control, wrap, message) {
  let box = wrap.querySelector('.kiosk-field-error');
  if (!box) {
    box = h('div', { class: 'kiosk-field-error invalid-feedback d-block', id: `${control ? control.id : 'topic'}-error` });
    wrap.append(box);
  }
  box.textContent = message;
  if (control) {
    control.setAttribute('aria-invalid', 'true');
    const described = (control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    if (!described.includes(box.id)) control.setAttribute('aria-describedby', [...described, box.id].join(' '));
    const clearIt = () => {
      control.removeAttribute('aria-invalid');
      box.remove();
      control.setAttribute('aria-describedby', described.join(' '));
      control.removeEventListener('input', clearIt);
    };
    control.addEventListener('input', clearIt);
  }
  return box;
}

// A warning with a button to add the PEC; the draft is kept in memory.
export function missingPecWarning(onAdd) {
  return h('div', { class: 'alert alert-warning d-flex flex-wrap gap-3 align-items-center', id: 'no-pec', role: 'status' },
    h('span', {}, t('noPec')),
    h('button', { type: 'button', class: 'btn btn-primary btn-lg', id: 'add-pec', onclick: onAdd }, t('addPec')));
}

// "Stampa ricevuta": asks the kiosk's printer, says what happened.
export function printButton(el, path, body, label = t('printReceipt'), id = 'print') {
  const status = h('span', { class: 'kiosk-print-status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg', id,
    onclick: async () => {
      button.disabled = true;
      status.textContent = '';
      try {
        await api.post(path, body);
        status.textContent = t('printed');
      } catch (err) {
        showError(el, err);
      }
      button.disabled = false;
    } }, label);
  return h('span', { class: 'd-inline-flex align-items-center gap-2' }, button, status);
}

// "Invia ricevuta alla PEC": the receipt as a PDF to the PEC on file.
export function mailReceiptButton(el, id) {
  const status = h('span', { class: 'kiosk-print-status', 'aria-live': 'polite', id: 'mail-receipt-status' });
  const button = h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg', id: 'mail-receipt',
    onclick: async () => {
      button.disabled = true;
      status.textContent = '';
      try {
        const r = await api.post(`/api/communications/${id}/receipt/pec`);
        status.textContent = t('receiptMailed', r.to);
      } catch (err) {
        showError(el, err);
        button.disabled = false;
      }
    } }, t('mailReceipt'));
  return h('span', { class: 'd-inline-flex align-items-center gap-2 flex-wrap' }, button, status);
}
