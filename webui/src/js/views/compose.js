// Nuova comunicazione: topic, subject, text, attachments, extra e-mail.
// "Invia" shows progress, cannot be sent twice (one idempotency key per
// form), and success shows the protocol number large.
import * as api from '../api.js';
import { h, field } from '../dom.js';
import { t } from '../i18n.js';
import { state, showError, go, refreshUnread } from '../app.js';
import { attachmentPicker } from './attachments.js';

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

export async function renderCompose(el) {
  const topics = await loadTopics();
  let topic = '';
  const key = crypto.randomUUID();  // the same for every retry of this form

  const topicButtons = topics.map((tp) => h('button', {
    type: 'button', class: 'kiosk-tile', 'aria-pressed': 'false', dataset: { topic: tp.code },
    onclick: (e) => {
      topic = tp.code;
      for (const b of topicGrid.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === e.currentTarget));
    },
  }, tp.label));
  const topicGrid = h('div', { class: 'kiosk-tiles kiosk-topics' }, topicButtons);
  const subject = field({ label: t('subject'), name: 'subject', help: t('subjectHelp'), osk: 'text',
    attrs: { maxlength: 150, required: true, autocomplete: 'off' } });
  const body = field({ label: t('text'), kind: 'textarea', name: 'body', help: t('textHelp'), osk: 'text',
    attrs: { maxlength: 10000, required: true } });
  const extra = field({ label: t('extraEmail'), kind: 'email', name: 'extra_email', help: t('extraEmailHelp'),
    osk: 'email', attrs: { maxlength: 254, autocomplete: 'off' } });
  const picker = attachmentPicker((err) => showError(el, err));
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': t('sending') });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg w-100', id: 'send' }, t('send'));

  const form = h('form', { novalidate: true, autocomplete: 'off' },
    h('fieldset', { class: 'kiosk-card' }, h('legend', { class: 'fw-semibold' }, t('chooseTopic')), topicGrid),
    h('div', { class: 'kiosk-card' }, subject.wrap, body.wrap, counter(body.control, 10000)),
    picker.element,
    h('div', { class: 'kiosk-card' }, extra.wrap),
    progress, submit);

  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;  // a double tap sends once
    if (!topic || !subject.control.value.trim() || !body.control.value.trim()) {
      showError(el, new Error(t('required')));
      return;
    }
    sending = true;
    submit.disabled = true;
    submit.textContent = t('sending');
    progress.hidden = false;
    const data = new FormData();
    data.append('topic', topic);
    data.append('subject', subject.control.value);
    data.append('body', body.control.value);
    data.append('extra_email', extra.control.value);
    data.append('idempotency_key', key);
    for (const file of picker.files()) data.append('attachments', file, file.name);
    try {
      const { body: sent } = await api.upload('/api/communications', data, (p) => { progress.value = Math.round(p * 100); });
      state.lastSent = sent;
      go(`#/inviata/${sent.id}`);
    } catch (err) {
      showError(el, err);
      sending = false;
      submit.disabled = false;
      submit.textContent = t('send');
      progress.hidden = true;
    }
  });
  el.append(h('h1', { class: 'kiosk-title' }, t('newCommunication')), form);
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

export async function renderSent(el, id) {
  const sent = state.lastSent && String(state.lastSent.id) === id ? state.lastSent : await api.get(`/api/communications/${id}`);
  await refreshUnread();
  el.append(
    h('h1', { class: 'kiosk-title' }, t('sentOk')),
    h('div', { class: 'kiosk-card text-center' },
      h('p', { class: 'lead mb-1' }, t('protocol')),
      h('p', { class: 'kiosk-protocol selectable', id: 'protocol' }, sent.protocol),
      h('div', { class: 'd-flex flex-wrap gap-3 justify-content-center mt-4' },
        printButton(el, `/api/communications/${id}/print`),
        h('a', { href: `#/comunicazione/${id}`, class: 'btn btn-primary btn-lg', id: 'open-thread' }, t('openThread')),
        h('a', { href: '#/', class: 'btn btn-outline-primary btn-lg' }, t('backHome')))));
}
