// Home: the four menu tiles of the service.
import * as api from '../api.js';
import { h, append } from '../dom.js';
import { t } from '../i18n.js';
import { state, refreshUnread, go } from '../state.js';
import { missingPecWarning } from './widgets.js';

// How many threads of one box have news: a tile's count is the count of the
// list it leads to (a reply in a sent thread is under "Inviate").
const unreadIn = (box) => api.get(`/api/communications?box=${box}&unread=true&per_page=1`)
  .then((p) => p.total).catch(() => 0);

export async function renderHome(el) {
  const [, contacts, sentUnread, receivedUnread] = await Promise.all([refreshUnread(),
    api.get('/api/contacts').catch(() => null), unreadIn('sent'), unreadIn('received')]);
  const tile = (href, title, sub, id) => h('a', { href, class: 'kiosk-tile', id }, title, h('small', {}, sub));
  append(el, [
    h('h1', { class: 'kiosk-title' }, t('menu')),
    contacts && !contacts.pec ? missingPecWarning(() => go('#/contatti')) : null,
    h('nav', { 'aria-label': t('menu') },
      h('div', { class: 'kiosk-tiles' },
        state.unread ? tile('#/daleggere', t('toRead'), t('unreadCount', state.unread), 'tile-to-read') : null,
        tile('#/nuova', t('newCommunication'), t('newCommunicationSub'), 'tile-new'),
        tile('#/inviate', t('sent'), sentUnread ? t('repliesCount', sentUnread) : t('sentSub'), 'tile-sent'),
        tile('#/ricevute', t('received'), receivedUnread ? t('unreadCount', receivedUnread) : t('receivedSub'), 'tile-received'),
        tile('#/contatti', t('contacts'), t('contactsSub'), 'tile-contacts')))]);
}
