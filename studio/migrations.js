// The migrations page: `/api/_migrations` (the service key's): each
// migration of the folder against the database's history, with its
// checksums, and the drift of the live schema from the manifest.

import { call, ledger } from './api.js';
import { h, fill } from './dom.js';

const short = (checksum) => (checksum ? checksum.slice(0, 12) : '');

function table(caption, head, rows) {
  return h('table', { class: 'list' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c)))))));
}

function checksumCell(row) {
  if (!row.checksum && !row.applied_checksum) return '';
  const same = !row.applied_checksum || !row.checksum || row.applied_checksum === row.checksum;
  return h('span', {},
    h('code', { title: row.checksum || '' }, short(row.checksum) || '(no file)'),
    same ? null : [' ', h('span', { class: 'error' }, 'applied as '), h('code', { title: row.applied_checksum }, short(row.applied_checksum))]);
}

export async function migrationsPage(root) {
  const body = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Reading the database…'));
  const refresh = h('button', { type: 'button', onclick: () => draw() }, 'Refresh');
  fill(root, h('div', { class: 'title' }, h('h1', {}, 'Migrations'), refresh), body);

  async function draw() {
    refresh.disabled = true;
    let report;
    try {
      report = await call('GET', '/api/_migrations');
    } catch (error) {
      fill(body, h('p', { class: 'error', role: 'alert' }, error.message));
      refresh.disabled = false;
      return;
    }
    refresh.disabled = false;
    const s = report.summary;
    const rows = report.migrations.map((row) => [
      row.id,
      h('span', { class: `state ${row.state}` }, row.state),
      row.applied_at || '',
      row.execution_ms === undefined ? '' : `${row.execution_ms} ms`,
      row.version === undefined ? '' : String(row.version),
      checksumCell(row),
    ]);
    const changes = report.drift.changes || [];
    fill(body,
      h('dl', { class: 'facts' },
        h('dt', {}, 'Database'), h('dd', {}, h('code', {}, report.database), report.exists ? '' : ' (not created yet)'),
        h('dt', {}, 'Folder'), h('dd', {}, h('code', {}, report.folder)),
        h('dt', {}, 'Summary'), h('dd', { id: 'migration-summary' }, `${s.applied} applied, ${s.pending} pending, ${s.modified} modified, ${s.missing_file} missing-file`)),
      s.modified ? h('p', { class: 'error', role: 'alert' }, 'A migration was edited after it was applied: `baas migrate apply` refuses to run until its files are restored.') : null,
      rows.length ? table('Migrations', ['Migration', 'State', 'Applied at', 'Took', 'Version', 'Checksum (sha256)'], rows)
        : h('p', {}, 'No migrations yet: `baas migrate plan --name NAME` writes one.'),
      h('h2', {}, 'Drift of the live schema'),
      report.drift.error ? h('p', { class: 'error' }, `The live schema could not be read: ${report.drift.error}`)
        : changes.length ? table(`${changes.length} difference(s) from the manifest`, ['Where', 'Change', 'Why', 'Safety'], changes.map((c) => [
          [c.entity || c.name || c.from, c.field || c.index || c.value || c.to].filter(Boolean).join('.') || '(schema)',
          c.kind.replaceAll('_', ' '), c.reason, h('span', { class: `safety ${c.safety}` }, c.safety)]))
          : h('p', { class: 'ok', id: 'no-drift' }, report.drift.note || 'None: the database matches the manifest.'),
      other);
    // The ledger's lines about no one entity (each entity's are in its
    // schema view).
    ledger().then((filed) => {
      if (!filed || filed.error || !filed.other.length) return;
      fill(other, table('Fidelity ledger: what the database has that the manifest does not hold (not about one entity)', ['Object', 'Kind', 'Note'],
        filed.other.map((e) => [e.object, e.kind, e.message])));
    });
  }
  const other = h('div', { id: 'ledger-other' });
  await draw();
  return null;
}
