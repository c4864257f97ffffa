// Dettaglio: the messages of a thread in order with author, date and
// attachments; add a message (with attachments) while it is not closed.
import * as api from '../api.js';
import { h, append, field, formatDate, formatBytes } from '../dom.js';
import { t, getLang, topicLabel } from '../i18n.js';
import { showError, refreshUnread } from '../state.js';
import { attachmentPicker } from './attachments.js';
import { showDocument, receiptButton } from './viewer.js';
import { counter, printButton, mailReceiptButton } from './widgets.js';
import { statusBadge } from './lists.js';

// `reader` is who looks at it: 'professional' or 'institute' (staff).
export function messageView(m, reader, professionalName = '') {
  let who = t('institute');
  if (m.author === 'professional') who = reader === 'professional' ? t('you') : professionalName;
  return h('article', { class: `kiosk-message ${m.author}`, 'data-announce': 'personal' },
    h('div', { class: 'meta' }, `${who} · ${formatDate(m.created_at, getLang())}`),
    h('div', { class: 'body selectable' }, m.body),
    m.attachments.length
      ? h('ul', { class: 'list-unstyled mb-0' }, m.attachments.map((a) => h('li', { class: 'mb-2' },
        h('button', { type: 'button', class: 'btn btn-outline-primary kiosk-attachment', dataset: { attachment: a.id },
          onclick: () => showDocument({ title: a.filename, url: `/api/attachments/${a.id}`, type: a.content_type,
            print: `/api/attachments/${a.id}/print` }) },
        `${t('view')} ${a.filename} (${formatBytes(a.size)})`))))
      : null);
}

// A text box with attachments and a send button; `send(FormData)` does the rest.
export function replyForm(el, title, send) {
  const body = field({ label: title, kind: 'textarea', name: 'body', help: t('textHelp'), osk: 'text',
    attrs: { maxlength: 10000, required: true } });
  const picker = attachmentPicker((err) => showError(el, err));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg w-100', id: 'send-message' }, t('send'));
  const form = h('form', { novalidate: true },
    h('div', { class: 'kiosk-card' }, body.wrap, counter(body.control, 10000)), picker.element, submit);
  let sending = false;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (sending) return;
    if (!body.control.value.trim()) { showError(el, new Error(t('required'))); return; }
    sending = true;
    submit.disabled = true;
    const data = new FormData();
    data.append('body', body.control.value);
    for (const file of picker.files()) data.append('attachments', file, file.name);
    try {
      await send(data);
    } catch (err) {
      showError(el, err);
      sending = false;
      submit.disabled = false;
    }
  });
  return form;
}

export async function renderThread(el, id) {
  const c = await api.get(`/api/communications/${id}`);
  await refreshUnread();  // opening it read it
  const again = () => { while (el.firstChild) el.firstChild.remove(); renderThread(el, id); };
  append(el, [
    h('h1', { class: 'kiosk-title selectable' }, c.subject),
    h('p', { class: 'd-flex flex-wrap gap-2 align-items-center', 'data-announce': 'personal' }, statusBadge(c.status),
      `${topicLabel(c.topic, c.topic_label)} · ${t('protocol')} `, h('strong', { id: 'thread-protocol', class: 'selectable' }, c.protocol)),
    c.status === 'chiusa' ? h('div', { class: 'alert alert-info', id: 'outcome' }, `${t('outcome')}: ${c.outcome}`) : null,
    h('section', { 'aria-label': t('text') }, c.messages.map((m) => messageView(m, 'professional'))),
    h('div', { class: 'd-flex flex-wrap gap-3 mb-4' },
      // A thread the Institute started has no receipt of the professional's.
      c.messages.length && c.messages[0].author === 'professional'
        ? [printButton(el, `/api/communications/${id}/print`),
          receiptButton(`/api/communications/${id}/receipt.pdf`, c.protocol),
          mailReceiptButton(el, id)] : null,
      // Messages added later have receipts of their own.
      c.messages.slice(1).filter((m) => m.author === 'professional').map((m, i) =>
        printButton(el, `/api/communications/${id}/print`, { message_id: m.id },
          `${t('printReceipt')} – ${t('message')} ${i + 2}`, `print-${m.id}`))),
    c.status !== 'chiusa'
      ? replyForm(el, t('addMessage'), async (data) => {
        await api.upload(`/api/communications/${id}/messages`, data);
        again();
      })
      : null]);
}
