// Guida: how the service works, in the words of the counter, reachable from
// every screen (also before logging in). Closing it goes back where it was.
import { h, append } from '../dom.js';
import { t } from '../i18n.js';

export function renderHelp(el) {
  const sections = t('helpSections');
  append(el, [
    h('h1', { class: 'kiosk-title' }, t('help')),
    sections.map(([title, ...paragraphs]) => h('section', { class: 'kiosk-card' },
      h('h2', { class: 'h4' }, title),
      paragraphs.map((p) => h('p', {}, p)))),
    h('button', { type: 'button', class: 'btn btn-primary btn-lg', id: 'help-back',
      onclick: () => history.back() }, t('back'))]);
}
