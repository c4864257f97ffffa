// Home: the four menu tiles of the service.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { state, refreshUnread } from '../app.js';

export async function renderHome(el) {
  await refreshUnread();
  const tile = (href, title, sub, id) => h('a', { href, class: 'kiosk-tile', id }, title, h('small', {}, sub));
  el.append(
    h('h1', { class: 'kiosk-title' }, t('menu')),
    h('nav', { 'aria-label': t('menu') },
      h('div', { class: 'kiosk-tiles' },
        tile('#/nuova', t('newCommunication'), t('newCommunicationSub'), 'tile-new'),
        tile('#/inviate', t('sent'), t('sentSub'), 'tile-sent'),
        tile('#/ricevute', t('received'), state.unread ? t('unreadCount', state.unread) : t('receivedSub'), 'tile-received'),
        tile('#/contatti', t('contacts'), t('contactsSub'), 'tile-contacts'))));
}
