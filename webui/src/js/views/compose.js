// Nuova comunicazione: topic, subject, text, attachments, extra e-mail.
// "Invia" shows progress, cannot be sent twice (one idempotency key per
// form), and success shows the protocol number large.
import * as api from '../api.js';
import { h, field, formatDate } from '../dom.js';
import { t, getLang, topicLabel } from '../i18n.js';
import { state, showError, go, refreshUnread } from '../state.js';
import { loadTopics, counter, fieldError, missingPecWarning, printButton, mailReceiptButton } from './widgets.js';
import { attachmentPicker } from './attachments.js';
import { receiptButton } from './viewer.js';

export async function renderCompose(el) {
  const [topics, contacts] = await Promise.all([loadTopics(), api.get('/api/contacts').catch(() => null)]);
  // A draft left to add the PEC comes back as it was.
  const draft = state.draft || { topic: '', subject: '', body: '', extra: '', key: crypto.randomUUID() };
  state.draft = null;
  let topic = draft.topic;
  const key = draft.key;  // the same for every retry of this form

  const topicButtons = topics.map((tp) => h('button', {
    type: 'button', class: 'kiosk-tile', 'aria-pressed': String(tp.code === topic), dataset: { topic: tp.code },
    onclick: (e) => {
      topic = tp.code;
      for (const b of topicGrid.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === e.currentTarget));
      const err = topicSet.querySelector('.kiosk-field-error');
      if (err) err.remove();
    },
  }, topicLabel(tp.code, tp.label)));
  const topicGrid = h('div', { class: 'kiosk-tiles kiosk-topics' }, topicButtons);
  const subject = field({ label: t('subject'), name: 'subject', help: t('subjectHelp'), osk: 'text',
    attrs: { maxlength: 150, required: true, autocomplete: 'off' } });
  const body = field({ label: t('text'), kind: 'textarea', name: 'body', help: t('textHelp'), osk: 'text',
    attrs: { maxlength: 10000, required: true } });
  const extra = field({ label: t('extraEmail'), kind: 'email', name: 'extra_email', help: t('extraEmailHelp'),
    osk: 'email', attrs: { maxlength: 254, autocomplete: 'off' } });
  subject.control.value = draft.subject;
  body.control.value = draft.body;
  extra.control.value = draft.extra;
  const picker = attachmentPicker((err) => showError(el, err));
  const progress = h('progress', { max: 100, value: 0, hidden: true, 'aria-label': t('sending') });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg w-100', id: 'send' }, t('send'));

  const topicSet = h('fieldset', { class: 'kiosk-card', id: 'topic-set' }, h('legend', { class: 'fw-semibold' }, t('chooseTopic')), topicGrid);
  const noPec = contacts && !contacts.pec
    ? missingPecWarning(() => {
      state.draft = { topic, subject: subject.control.value, body: body.control.value, extra: extra.control.value, key };
      go('#/contatti');
    })
    : null;
  const form = h('form', { novalidate: true, autocomplete: 'off' },
    noPec,
    topicSet,
    h('div', { class: 'kiosk-card' }, subject.wrap, body.wrap, counter(body.control, 10000)),
    picker.element,
    h('div', { class: 'kiosk-card' }, extra.wrap),
    progress, submit);

  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;  // a double tap sends once
    // Each missing field says so beside it; the first one gets the focus.
    const missing = [];
    if (!topic) {
      fieldError(null, topicSet, t('topicRequired'));
      missing.push(topicButtons[0]);
    }
    for (const f of [subject, body]) {
      if (!f.control.value.trim()) {
        fieldError(f.control, f.wrap, t('requiredField'));
        missing.push(f.control);
      }
    }
    if (missing.length) {
      missing[0].focus();
      missing[0].scrollIntoView({ block: 'center' });
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

export async function renderSent(el, id) {
  // The thread as registered: protocol, time, topic, subject, attachments.
  const sent = await api.get(`/api/communications/${id}`);
  await refreshUnread();
  const files = sent.messages && sent.messages[0] ? sent.messages[0].attachments.length : null;
  const topic = state.topics.find((tp) => tp.code === sent.topic);
  el.append(
    h('h1', { class: 'kiosk-title' }, t('sentOk')),
    h('div', { class: 'kiosk-card text-center' },
      h('p', { class: 'lead mb-1' }, t('protocol')),
      h('p', { class: 'kiosk-protocol selectable', id: 'protocol', 'aria-label': `${t('protocol')} ${sent.protocol}` }, sent.protocol),
      h('dl', { class: 'kiosk-summary', id: 'sent-summary' },
        h('dt', {}, t('registeredAt')), h('dd', { id: 'sent-when' }, formatDate(sent.created_at, getLang())),
        h('dt', {}, t('topic')), h('dd', {}, topicLabel(sent.topic, sent.topic_label || (topic ? topic.label : sent.topic))),
        h('dt', {}, t('subject')), h('dd', { class: 'selectable' }, sent.subject),
        files !== null ? [h('dt', {}, t('attachments')), h('dd', {}, String(files))] : null),
      h('div', { class: 'd-flex flex-wrap gap-3 justify-content-center mt-4' },
        printButton(el, `/api/communications/${id}/print`),
        receiptButton(`/api/communications/${id}/receipt.pdf`, sent.protocol),
        receiptButton(`/api/communications/${id}/receipt.pdf?large=1`, sent.protocol, 'show-receipt-large', t('showReceiptLarge')),
        mailReceiptButton(el, id),
        h('a', { href: `#/comunicazione/${id}`, class: 'btn btn-primary btn-lg', id: 'open-thread' }, t('openThread')),
        h('a', { href: '#/', class: 'btn btn-outline-primary btn-lg' }, t('backHome')))));
}
