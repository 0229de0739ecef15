// The live change log: `/api/_realtime` (server-sent events) for every
// entity the caller may list, kept while the studio is open.

import { model, stream } from './api.js';
import { h, fill, show } from './dom.js';

const KEPT = 500;
const log = [];
let controller = null;
let status = 'closed';
let listener = null;
let unseen = 0;

function badge() {
  const box = document.getElementById('change-count');
  box.hidden = unseen === 0;
  box.textContent = unseen;
  box.setAttribute('aria-label', `${unseen} new changes`);
}

/** (Re)subscribes to every readable table of the current manifest. */
export function startChanges() {
  if (controller) controller.abort();
  const names = model.discovery.entities.filter((e) => e.kind === 'table' && e.permissions.read).map((e) => e.name);
  if (!names.length) { status = 'nothing to follow'; return; }
  controller = new AbortController();
  const path = `/api/_realtime?subscribe=${names.map(encodeURIComponent).join(',')}`;
  stream(path, (message) => {
    let data = null;
    try { data = JSON.parse(message.data); } catch { return; }
    log.unshift({ at: new Date(), event: message.event, data });
    if (log.length > KEPT) log.length = KEPT;
    if (listener) listener(); else { unseen += 1; badge(); }
  }, controller.signal, (state, error) => {
    status = state === 'error' ? `refused: ${error.message}` : state;
    if (listener) listener();
  });
}

export async function changesPage(root) {
  unseen = 0;
  badge();
  const list = h('ol', { class: 'changes', 'aria-live': 'polite', 'aria-label': 'Changes, newest first' });
  const state = h('p', { class: 'muted' });
  const draw = () => {
    state.textContent = `Stream: ${status}. ${log.length} changes since the studio opened (the last ${KEPT} are kept).`;
    fill(list, ...log.map((change) => {
      const d = change.data;
      const key = Array.isArray(d.key) ? d.key.join(',') : show(d.key);
      const target = d.entity ? `#/data/${encodeURIComponent(d.entity)}` : '#/';
      return h('li', { class: `change ${change.event}` },
        h('time', { datetime: change.at.toISOString() }, change.at.toLocaleTimeString()), ' ',
        h('strong', {}, change.event), ' ', h('a', { href: target }, d.entity || ''), key ? ` ${key}` : '',
        d.row || d.old ? h('details', {}, h('summary', {}, 'row'), h('pre', {}, JSON.stringify({ row: d.row, old: d.old }, null, 2))) : null);
    }));
  };
  fill(root, h('h1', {}, 'Changes'), state, list);
  draw();
  listener = draw;
  return { leave() { listener = null; } };
}
