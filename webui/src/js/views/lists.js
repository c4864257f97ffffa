// Comunicazioni inviate and ricevute: filters by stato and argomento, unread
// marked, paging with large buttons.
import * as api from '../api.js';
import { h, field, formatDate } from '../dom.js';
import { t, getLang, topicLabel } from '../i18n.js';
import { loadTopics } from './widgets.js';

const PER_PAGE = 10;
const filters = { sent: { status: '', topic: '', unread: false, page: 1 }, received: { status: '', topic: '', unread: false, page: 1 } };

export function statusBadge(status) {
  return h('span', { class: `kiosk-badge ${status}` }, t(status));
}

export function filterBar(f, topics, onApply, extra = []) {
  const status = field({ label: t('status'), kind: 'select', name: 'status', value: f.status,
    options: [['', t('all')], ['aperta', t('aperta')], ['in_carico', t('in_carico')], ['chiusa', t('chiusa')]] });
  const topic = field({ label: t('topic'), kind: 'select', name: 'topic', value: f.topic,
    options: [['', t('all')], ...topics.map((tp) => [tp.code, topicLabel(tp.code, tp.label)])] });
  const form = h('form', { class: 'kiosk-filters kiosk-card', role: 'search' },
    status.wrap, topic.wrap, ...extra,
    h('div', {}, h('button', { type: 'submit', class: 'btn btn-primary btn-lg', id: 'apply-filters' }, t('filter'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    f.status = status.control.value;
    f.topic = topic.control.value;
    f.page = 1;
    onApply();
  });
  return form;
}

export function pager(f, total, onPage) {
  const pages = Math.max(1, Math.ceil(total / PER_PAGE));
  return h('nav', { class: 'kiosk-pager', 'aria-label': t('page', f.page, pages) },
    h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg', disabled: f.page <= 1,
      onclick: () => { f.page -= 1; onPage(); } }, t('previous')),
    h('span', {}, t('page', f.page, pages)),
    h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg', disabled: f.page >= pages,
      onclick: () => { f.page += 1; onPage(); } }, t('next')));
}

export function query(f, extra = {}) {
  const q = new URLSearchParams({ page: f.page, per_page: PER_PAGE, ...extra });
  if (f.status) q.set('status', f.status);
  if (f.topic) q.set('topic', f.topic);
  if (f.unread) q.set('unread', 'true');
  return q.toString();
}

export async function renderList(el, box) {
  const f = filters[box];
  const topics = await loadTopics();
  const data = await api.get(`/api/communications?${query(f, { box })}`);
  const again = () => { while (el.firstChild) el.firstChild.remove(); renderList(el, box); };
  const unreadBox = h('input', { type: 'checkbox', id: `only-unread-${box}`, class: 'form-check-input', checked: f.unread,
    onchange: (e) => { f.unread = e.target.checked; } });
  const unreadWrap = h('div', { class: 'form-check mb-4' }, unreadBox,
    h('label', { for: `only-unread-${box}`, class: 'form-check-label' }, t('onlyUnread')));
  const list = h('ul', { class: 'kiosk-list', id: 'list' });
  for (const c of data.items) {
    list.append(h('li', { class: c.unread ? 'unread' : '' },
      h('a', { href: `#/comunicazione/${c.id}` },
        h('div', { class: 'd-flex flex-wrap gap-2 align-items-center' },
          statusBadge(c.status),
          c.unread ? h('span', { class: 'kiosk-badge new' }, t('unread')) : null,
          h('strong', { class: 'ms-1' }, c.subject)),
        h('div', {}, `${topicLabel(c.topic, c.topic_label)} · ${t('protocol')} ${c.protocol} · ${formatDate(c.created_at, getLang())}`))));
  }
  el.append(
    h('h1', { class: 'kiosk-title' }, box === 'sent' ? t('sent') : t('received')),
    filterBar(f, topics, again, [unreadWrap]),
    data.items.length ? list : h('p', { class: 'lead' }, t('empty')),
    pager(f, data.total, again));
}

// "Da leggere": every thread with something unread, sent or received. With
// exactly one, straight to it.
export async function renderToRead(el) {
  const data = await api.get(`/api/communications?${new URLSearchParams({ box: 'all', unread: 'true', per_page: 50 })}`);
  if (data.items.length === 1) {
    location.replace(`#/comunicazione/${data.items[0].id}`);
    return;
  }
  const list = h('ul', { class: 'kiosk-list', id: 'list' });
  for (const c of data.items) {
    list.append(h('li', { class: 'unread' },
      h('a', { href: `#/comunicazione/${c.id}` },
        h('div', { class: 'd-flex flex-wrap gap-2 align-items-center' },
          statusBadge(c.status),
          h('span', { class: 'kiosk-badge new' }, t('unread')),
          h('strong', { class: 'ms-1' }, c.subject)),
        h('div', {}, `${c.box === 'sent' ? t('sent') : t('received')} · ${topicLabel(c.topic, c.topic_label)} · ${t('protocol')} ${c.protocol} · ${formatDate(c.updated_at || c.created_at, getLang())}`))));
  }
  el.append(
    h('h1', { class: 'kiosk-title' }, t('toRead')),
    data.items.length ? list : h('p', { class: 'lead' }, t('noneUnread')));
}
