// Staff console: the queue with filters and search, a thread with take in
// charge, reply with attachments and close with an outcome, writing first to
// a professional, and unlocking a PIN.
import * as api from '../api.js';
import { h, append, field, formatDate } from '../dom.js';
import { t, getLang, topicLabel } from '../i18n.js';
import { showError, go } from '../state.js';
import { loadTopics, counter, printButton } from './widgets.js';
import { statusBadge, filterBar, pager, query } from './lists.js';
import { messageView, replyForm } from './thread.js';
import { attachmentPicker } from './attachments.js';

const f = { status: '', topic: '', unread: false, page: 1, q: '' };

// "Menu" starts the queue afresh: no filter, no search, first page.
export function resetQueue() {
  Object.assign(f, { status: '', topic: '', unread: false, page: 1, q: '' });
}

function staffNav() {
  return h('nav', { class: 'd-flex flex-wrap gap-3 mb-4', 'aria-label': t('staffConsole') },
    h('a', { href: '#/', class: 'btn btn-outline-primary btn-lg' }, t('queue')),
    h('a', { href: '#/nuova', class: 'btn btn-outline-primary btn-lg', id: 'nav-write' }, t('writeFirst')),
    h('a', { href: '#/sblocco', class: 'btn btn-outline-primary btn-lg', id: 'nav-unlock' }, t('unlock')));
}

export async function renderQueue(el) {
  const topics = await loadTopics();
  // A search the server refuses (fewer than 3 letters or digits) leaves the
  // queue's screen in place with the reason beside the search box.
  let refused = null;
  const data = await api.get(`/api/staff/communications?${query(f, f.q ? { q: f.q } : {})}`)
    .catch((err) => {
      if (!f.q || err.status !== 422) throw err;
      refused = err;
      return { items: [], total: 0 };
    });
  const again = () => { while (el.firstChild) el.firstChild.remove(); renderQueue(el); };
  const search = field({ label: t('search'), name: 'q', value: f.q, osk: 'text', help: t('searchHelp'),
    attrs: { maxlength: 150, autocomplete: 'off' } });
  search.control.addEventListener('input', () => { f.q = search.control.value; });
  if (refused) {
    search.control.setAttribute('aria-invalid', 'true');
    search.wrap.append(h('div', { class: 'invalid-feedback d-block', id: 'search-error', role: 'alert' }, refused.message));
  }
  const list = h('ul', { class: 'kiosk-list', id: 'queue' });
  for (const c of data.items) {
    list.append(h('li', {}, h('a', { href: `#/comunicazione/${c.id}` },
      h('div', { class: 'd-flex flex-wrap gap-2 align-items-center' }, statusBadge(c.status),
        // The professional wrote last: the Institute owes an answer.
        c.professional_wrote_last && c.status !== 'chiusa'
          ? h('span', { class: 'kiosk-badge new awaiting' }, t('awaitingAnswer')) : null,
        h('strong', {}, c.subject)),
      h('div', {}, `${c.protocol} · ${c.professional_name} (${c.codice_fiscale}) · ${topicLabel(c.topic, c.topic_label)} · ${formatDate(c.created_at, getLang())}`))));
  }
  append(el, [h('h1', { class: 'kiosk-title' }, t('staffConsole')), staffNav(),
    filterBar(f, topics, again, [search.wrap]),
    data.items.length ? list : (refused ? null : h('p', { class: 'lead' }, t('empty'))),
    // The count stops at 1,000: said so, not shown as a page count that lies.
    data.total_capped ? h('p', { class: 'text-muted', id: 'queue-capped' }, t('moreThan', data.total)) : null,
    pager(f, data.total, again)]);
}

let threadNotice = null;  // "Risposta inviata", shown once after the thread is drawn again

export async function renderStaffThread(el, id) {
  const c = await api.get(`/api/staff/communications/${id}`);
  const again = () => { while (el.firstChild) el.firstChild.remove(); renderStaffThread(el, id); };
  const notice = threadNotice;
  threadNotice = null;
  const actions = h('div', { class: 'd-flex flex-wrap gap-3 mb-4' },
    printButton(el, `/api/staff/communications/${id}/print`, undefined, t('reprint'), 'reprint'));
  if (c.status === 'aperta') {
    actions.append(h('button', { type: 'button', class: 'btn btn-primary btn-lg', id: 'take', onclick: async () => {
      try { await api.post(`/api/staff/communications/${id}/take`); again(); } catch (err) { showError(el, err); }
    } }, t('take')));
  }
  append(el, [
    staffNav(),
    h('h1', { class: 'kiosk-title selectable' }, c.subject),
    h('p', { class: 'd-flex flex-wrap gap-2 align-items-center' }, statusBadge(c.status),
      `${c.protocol} · ${c.professional_name} (${c.codice_fiscale}) · ${topicLabel(c.topic, c.topic_label)}`),
    c.status === 'in_carico' && c.assigned_to
      ? h('p', { id: 'assigned-to' }, t('takenBy', c.assigned_to)) : null,
    notice ? h('div', { class: 'alert alert-success', role: 'status', id: 'thread-notice' }, notice) : null,
    c.status === 'chiusa' ? h('div', { class: 'alert alert-info' }, `${t('outcome')}: ${c.outcome}`) : null,
    h('section', { 'aria-label': t('text') }, c.messages.map((m) => messageView(m, 'institute', c.professional_name))),
    actions]);
  if (c.status !== 'chiusa') {
    el.append(replyForm(el, t('reply'), async (data) => {
      await api.upload(`/api/staff/communications/${id}/messages`, data);
      threadNotice = t('replySent', c.professional_name);
      again();
    }));
    const outcome = field({ label: t('outcome'), kind: 'textarea', name: 'outcome', osk: 'text', attrs: { maxlength: 2000 } });
    // Closing is final: the first tap asks to confirm, in place.
    const closeButton = h('button', { type: 'submit', class: 'btn btn-outline-danger btn-lg w-100', id: 'close' }, t('close'));
    const confirmBox = h('div', { class: 'alert alert-warning mt-3', id: 'close-confirm', role: 'alertdialog', hidden: true,
      'aria-labelledby': 'close-confirm-text' },
      h('p', { id: 'close-confirm-text' }, t('closeConfirm')),
      h('div', { class: 'd-flex flex-wrap gap-3' },
        h('button', { type: 'button', class: 'btn btn-danger btn-lg', id: 'close-yes', onclick: async () => {
          try {
            await api.post(`/api/staff/communications/${id}/close`, { outcome: outcome.control.value });
            threadNotice = t('closedNotice');
            again();
          } catch (err) { confirmBox.hidden = true; closeButton.hidden = false; showError(el, err); }
        } }, t('closeYes')),
        h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg', id: 'close-no', onclick: () => {
          confirmBox.hidden = true;
          closeButton.hidden = false;
        } }, t('cancel'))));
    const close = h('form', { class: 'kiosk-card mt-4', novalidate: true }, outcome.wrap, closeButton, confirmBox);
    close.addEventListener('submit', (e) => {
      e.preventDefault();
      closeButton.hidden = true;
      confirmBox.hidden = false;
    });
    el.append(close);
  }
}

export async function renderWriteFirst(el) {
  const topics = await loadTopics();
  const cf = field({ label: t('codiceFiscale'), name: 'codice_fiscale', osk: 'cf', attrs: { maxlength: 16, autocomplete: 'off' } });
  const topic = field({ label: t('topic'), kind: 'select', name: 'topic', options: topics.map((tp) => [tp.code, topicLabel(tp.code, tp.label)]) });
  const subject = field({ label: t('subject'), name: 'subject', osk: 'text', attrs: { maxlength: 150 } });
  const body = field({ label: t('text'), kind: 'textarea', name: 'body', osk: 'text', attrs: { maxlength: 10000 } });
  const picker = attachmentPicker((err) => showError(el, err));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg w-100', id: 'send' }, t('send'));
  const form = h('form', { novalidate: true, autocomplete: 'off' },
    h('div', { class: 'kiosk-card' }, cf.wrap, topic.wrap, subject.wrap, body.wrap, counter(body.control, 10000)),
    picker.element, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    const data = new FormData();
    data.append('codice_fiscale', cf.control.value);
    data.append('topic', topic.control.value);
    data.append('subject', subject.control.value);
    data.append('body', body.control.value);
    for (const file of picker.files()) data.append('attachments', file, file.name);
    try {
      const { body: c } = await api.upload('/api/staff/communications', data);
      go(`#/comunicazione/${c.id}`);
    } catch (err) {
      showError(el, err);
      submit.disabled = false;
    }
  });
  el.append(staffNav(), h('h1', { class: 'kiosk-title' }, t('writeFirst')), form);
}

// Sblocca PIN: first who the codice fiscale belongs to (name, code, state),
// to compare with the identity document; then the unlock.
export function renderUnlock(el) {
  const cf = field({ label: t('codiceFiscale'), name: 'codice_fiscale', help: t('unlockHelp'), osk: 'cf', attrs: { maxlength: 16, autocomplete: 'off' } });
  const found = h('div', { 'aria-live': 'polite' });
  const code = () => encodeURIComponent(cf.control.value.trim().toUpperCase());
  const clearError = () => { const old = el.querySelector('.kiosk-error'); if (old) old.remove(); };
  // Offered only while the access is locked; once done, the card says so.
  const unlockButton = (p) => h('button', { type: 'button', class: 'btn btn-primary btn-lg w-100', id: 'unlock',
    onclick: async (e) => {
      try {
        await api.post(`/api/staff/professionals/${encodeURIComponent(p.codice_fiscale)}/unlock`);
        clearError();
        found.querySelector('#lock-state').textContent = t('pinNotLocked');
        e.target.replaceWith(h('div', { class: 'alert alert-success mt-3', id: 'unlocked', role: 'status' }, t('unlockDone')));
      } catch (err) { showError(el, err); }
    } }, t('unlock'));
  // "Nuovo PIN": a short window in which the professional types a new PIN on
  // the kiosk, twice; the clerk never sees it.
  const pinResetButton = (p) => h('button', { type: 'button', class: `btn ${p.locked ? 'btn-outline-primary' : 'btn-primary'} btn-lg w-100 mt-3`, id: 'pin-reset',
    onclick: async () => {
      try {
        const r = await api.post(`/api/staff/professionals/${encodeURIComponent(p.codice_fiscale)}/pin-reset`);
        clearError();
        const until = new Date(r.expires_at).toLocaleTimeString(getLang() === 'en' ? 'en-GB' : 'it-IT',
          { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Rome' });
        found.querySelector('#pin-reset-started')?.remove();
        // The one-time code, shown once to the clerk, who hands it to the person.
        found.append(h('div', { class: 'alert alert-success mt-3', id: 'pin-reset-started', role: 'status' },
          h('p', {}, t('pinResetStarted', r.name, until)),
          h('p', { class: 'mb-0' }, `${t('pinResetCode')}: `,
            h('strong', { id: 'pin-reset-code', class: 'kiosk-code' }, `${r.code.slice(0, 3)} ${r.code.slice(3)}`))));
      } catch (err) { showError(el, err); }
    } }, t('pinReset'));
  const form = h('form', { class: 'kiosk-card', novalidate: true }, cf.wrap,
    h('button', { type: 'submit', class: 'btn btn-outline-primary btn-lg w-100 mb-3', id: 'find-professional' }, t('findProfessional')),
    found);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    found.replaceChildren();
    try {
      const p = await api.get(`/api/staff/professionals/${code()}`);
      clearError();
      found.append(h('dl', { class: 'kiosk-summary', id: 'professional-found' },
        h('dt', {}, t('professionalName')), h('dd', { id: 'professional-name' }, p.name),
        h('dt', {}, t('codiceFiscale')), h('dd', { class: 'selectable' }, p.codice_fiscale),
        h('dt', {}, t('status')), h('dd', { id: 'lock-state' }, p.locked ? t('pinLocked') : t('pinNotLocked'))),
      p.locked ? h('p', { class: 'mt-3' }, t('unlockHelp')) : h('p', { class: 'mt-3', id: 'unlock-not-needed' }, t('unlockNotNeeded')),
      p.locked ? unlockButton(p) : null,
      h('p', { class: 'mt-4 mb-0' }, t('pinResetHelp')),
      pinResetButton(p));
    } catch (err) { showError(el, err); }
  });
  el.append(staffNav(), h('h1', { class: 'kiosk-title' }, t('unlock')), form);
}
