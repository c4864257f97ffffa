// Technicians see the kiosk's state, never a communication: the database,
// each device with its details, every kiosk on the database (the branch's
// fleet when it is shared), and the notifications still to go out or given
// up on, with a retry (audited by the server).
import * as api from '../api.js';
import { h, append, clear, formatDate } from '../dom.js';
import { t, getLang } from '../i18n.js';
import { state, showError } from '../state.js';

const deviceNames = () => ({ printer: t('printer'), scanner: t('scanner'), usb: t('usbStick') });

function outboxTable(items, id, onRetry) {
  if (!items.length) return h('p', { id: `${id}-empty` }, t('outboxNone'));
  return h('table', { class: 'table kiosk-table', id },
    h('thead', {}, h('tr', {},
      [t('protocol'), t('outboxEvent'), t('outboxChannel'), t('outboxAttempts'), t('outboxWhen'), t('outboxError'), '']
        .map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, items.map((o) => h('tr', { dataset: { outbox: o.id } },
      h('td', { class: 'selectable' }, o.protocol),
      h('td', {}, t(`event_${o.event}`)),
      h('td', {}, `${o.channel.toUpperCase()} · ${o.recipient}`),
      h('td', {}, String(o.attempts)),
      h('td', {}, formatDate(o.status === 'failed' ? o.created_at : o.next_attempt_at, getLang())),
      h('td', { class: 'selectable' }, o.last_error || '–'),
      h('td', {}, onRetry
        ? h('button', { type: 'button', class: 'btn btn-outline-primary', 'aria-label': `${t('retry')} ${o.protocol}`,
          onclick: () => onRetry(o) }, t('retry'))
        : null)))));
}

// Each notification channel's worker on this kiosk, with its backlog.
function channelTable(channels) {
  const badge = { ok: 'bg-success', failing: 'bg-danger', idle: 'bg-secondary' };
  return h('table', { class: 'table kiosk-table', id: 'channels' },
    h('thead', {}, h('tr', {},
      [t('channel'), t('status'), t('channelBacklog'), t('channelLastError')]
        .map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, channels.map((c) => h('tr', { dataset: { channel: c.channel, state: c.state } },
      h('td', {}, t(`channel_${c.channel}`)),
      h('td', {}, h('span', { class: `badge ${badge[c.state] || 'bg-secondary'}` }, t(`channelState_${c.state}`))),
      h('td', {}, c.pending == null ? '–' : String(c.pending)),
      h('td', { class: 'selectable' }, c.last_error || '–')))));
}

function fleetTable(items) {
  const selftest = (k) => (k.selftest.at
    ? `${t(k.selftest.ok ? 'selftestOk' : 'selftestFailed')} · ${formatDate(k.selftest.at, getLang())}`
    : t('selftestNever'));
  return h('table', { class: 'table kiosk-table', id: 'fleet' },
    h('thead', {}, h('tr', {},
      [t('kioskId'), t('status'), t('lastSeen'), t('version'), t('devices'), t('selftest')]
        .map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, items.map((k) => h('tr', { dataset: { kiosk: k.kiosk_id, state: k.state } },
      h('td', {}, k.this_kiosk ? `${k.kiosk_id} (${t('thisKiosk')})` : k.kiosk_id),
      h('td', {}, h('span', { class: `badge ${k.state === 'online' ? 'bg-success' : 'bg-danger'}` }, t(`fleet_${k.state}`))),
      h('td', {}, k.last_seen ? formatDate(k.last_seen, getLang()) : '–'),
      h('td', {}, k.version || '–'),
      h('td', { class: 'selectable' }, k.devices || '–'),
      h('td', {}, selftest(k))))));
}

// The self-test's lines: each part, whether it passed, what was found.
function selftestList(result) {
  return h('div', { id: 'selftest-result' },
    h('div', { class: `alert ${result.ok ? 'alert-success' : 'alert-danger'}`, role: 'status' },
      t(result.ok ? 'selftestPassed' : 'selftestNotPassed')),
    h('dl', { class: 'kiosk-summary m-0' }, result.checks.map((c) => [
      h('dt', {}, t(`part_${c.part}`)),
      h('dd', { dataset: { part: c.part, ok: String(c.ok), configured: String(c.configured) } },
        `${t(!c.configured ? 'selftestCheckAbsent' : c.ok ? 'selftestCheckOk' : 'selftestCheckFailed')}${c.detail ? ` – ${c.detail}` : ''}`)])));
}

export async function renderTechnician(el) {
  const k = state.kiosk;
  const [health, devices, fleet, pending, failed] = await Promise.all([
    api.get('/healthz').catch((err) => ({ status: err.message })),
    api.get('/api/devices').catch(() => null),
    api.get('/api/technician/kiosks').catch(() => null),
    api.get('/api/technician/outbox?status=pending').catch(() => ({ items: [] })),
    api.get('/api/technician/outbox?status=failed').catch(() => ({ items: [] })),
  ]);
  // Drawn again in place: the page keeps its height and scroll, so the
  // person stays where they tapped (the notice shows in that section).
  const again = async () => {
    const y = window.scrollY;
    el.style.minHeight = `${el.offsetHeight}px`;
    clear(el);
    try { await renderTechnician(el); } finally {
      el.style.minHeight = '';
      window.scrollTo(0, y);
    }
  };
  const retry = async (path, what) => {
    try {
      const r = await api.post(path);
      state.notice = t('retried', r.retried ?? what);
      again();
    } catch (err) { showError(el, err); }
  };
  const notice = state.notice;
  state.notice = null;
  const lastSelftest = state.selftest;
  state.selftest = null;
  const runSelftest = async (button) => {
    button.disabled = true;
    button.textContent = t('selftestRunning');
    try {
      state.selftest = await api.post('/api/technician/selftest');
      again();
    } catch (err) {
      button.disabled = false;
      button.textContent = t('selftestRun');
      showError(el, err);
    }
  };
  append(el, [
    h('h1', { class: 'kiosk-title' }, t('technician')),
    h('p', { class: 'lead' }, t('technicianText')),
    h('section', { class: 'kiosk-card', 'aria-labelledby': 'tech-kiosk' },
      h('h2', { class: 'h4', id: 'tech-kiosk' }, t('kioskState')),
      h('dl', { class: 'kiosk-summary m-0' },
        h('dt', {}, t('branch')), h('dd', {}, k.branch_name),
        h('dt', {}, t('kioskId')), h('dd', {}, k.kiosk_id),
        h('dt', {}, 'Database'), h('dd', { id: 'health' }, health.status === 'ok' ? 'ok' : (health.database || health.status)),
        h('dt', {}, t('storage')), h('dd', { id: 'storage' }, health.storage || '–')),
      h('button', { type: 'button', class: 'btn btn-primary btn-lg mt-3', id: 'selftest-run',
        onclick: (e) => runSelftest(e.currentTarget) }, t('selftestRun')),
      lastSelftest ? selftestList(lastSelftest) : null),
    h('section', { class: 'kiosk-card', 'aria-labelledby': 'tech-devices' },
      h('h2', { class: 'h4', id: 'tech-devices' }, t('devices')),
      devices
        ? h('dl', { class: 'kiosk-summary m-0', id: 'devices' }, Object.entries(deviceNames()).map(([key, name]) => [
          h('dt', {}, name),
          h('dd', { dataset: { device: key } }, `${t(`device_${devices[key].status}`)} – ${devices[key].detail || ''}`)]))
        : h('p', {}, t('viewFailed'))),
    h('section', { class: 'kiosk-card', 'aria-labelledby': 'tech-fleet' },
      h('h2', { class: 'h4', id: 'tech-fleet' }, t('fleet')),
      h('p', {}, t('fleetText')),
      fleet ? fleetTable(fleet.items) : h('p', {}, t('viewFailed'))),
    pending.channels
      ? h('section', { class: 'kiosk-card', 'aria-labelledby': 'tech-channels' },
        h('h2', { class: 'h4', id: 'tech-channels' }, t('channels')),
        h('p', {}, t('channelsText')),
        channelTable(pending.channels))
      : null,
    h('section', { class: 'kiosk-card', 'aria-labelledby': 'tech-failed' },
      h('h2', { class: 'h4', id: 'tech-failed' }, `${t('outboxFailed')} (${failed.items.length})`),
      notice ? h('div', { class: 'alert alert-success', role: 'status', id: 'tech-notice' }, notice) : null,
      failed.items.length
        ? h('button', { type: 'button', class: 'btn btn-primary btn-lg mb-3', id: 'retry-all',
          onclick: () => retry('/api/technician/outbox/retry', failed.items.length) }, t('retryAll'))
        : null,
      outboxTable(failed.items, 'outbox-failed', (o) => retry(`/api/technician/outbox/${o.id}/retry`, 1))),
    h('section', { class: 'kiosk-card', 'aria-labelledby': 'tech-pending' },
      h('h2', { class: 'h4', id: 'tech-pending' }, `${t('outboxPending')} (${pending.items.length})`),
      outboxTable(pending.items, 'outbox-pending', null)),
    h('button', { type: 'button', class: 'btn btn-outline-primary btn-lg', id: 'tech-refresh', onclick: again }, t('refresh'))]);
}
