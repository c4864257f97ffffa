// Technicians see the kiosk's state, never a communication.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { state } from '../app.js';

export async function renderTechnician(el) {
  const health = await api.get('/healthz').catch((err) => ({ status: err.message }));
  const k = state.kiosk;
  el.append(
    h('h1', { class: 'kiosk-title' }, t('technician')),
    h('p', { class: 'lead' }, t('technicianText')),
    h('dl', { class: 'kiosk-card' },
      h('dt', {}, 'Sede'), h('dd', {}, k.branch_name),
      h('dt', {}, 'Chiosco'), h('dd', {}, k.kiosk_id),
      h('dt', {}, 'Database'), h('dd', { id: 'health' }, health.status)));
}
