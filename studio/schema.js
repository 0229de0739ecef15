// The schema of one entity: fields, types, keys, relations (both ways),
// indexes, uniques, checks, rules, the view's query and, for the
// administrator, the fidelity ledger's notes on the entity and its fields.

import { ledger, model } from './api.js';
import { h, fill, show } from './dom.js';

function typeLabel(field) {
  let out = field.type;
  if (field.enum) out = `enum ${field.enum}`;
  if (field.max_length) out += `(${field.max_length})`;
  if (field.precision) out += `(${field.precision}${field.scale !== undefined ? `,${field.scale}` : ''})`;
  if (field.items) out = `array<${typeLabel(field.items)}>`;
  if (field.native) out += ` (${field.native})`;
  return out;
}

function table(caption, head, rows) {
  if (!rows.length) return null;
  return h('table', { class: 'list' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c)))))));
}

const entityLink = (name) => h('a', { href: `#/schema/${encodeURIComponent(name)}` }, name);

export async function schemaPage(root, { arg }) {
  const entity = model.byName.get(arg);
  if (!entity) {
    fill(root, h('h1', {}, 'Unknown entity'), h('p', { class: 'error', role: 'alert' }, `There is no entity named ${arg}.`));
    return null;
  }
  const detail = entity.detail;
  const fields = detail.fields || {};
  const keys = new Set(entity.primary_key);
  const outgoing = detail.relations || [];
  const incoming = [];
  for (const other of model.byName.values()) {
    for (const relation of other.detail.relations || []) {
      if (relation.references.entity === entity.name) incoming.push([other.name, relation]);
    }
  }
  const fk = new Set(outgoing.flatMap((r) => r.fields));
  const flags = (name, f) => [keys.has(name) ? 'primary key' : null, fk.has(name) ? 'foreign key' : null, f.unique ? 'unique' : null, f.generated ? `generated (${f.generated})` : null].filter(Boolean).join(', ');
  const enums = model.schema.enums || {};
  fill(root, 
    h('div', { class: 'title' }, h('h1', {}, `Schema of ${entity.name}`), h('a', { href: `#/data/${encodeURIComponent(entity.name)}` }, 'Data'), h('a', { href: `#/diagram?focus=${encodeURIComponent(entity.name)}` }, 'Diagram')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Kind'), h('dd', {}, entity.kind),
      h('dt', {}, 'Table'), h('dd', {}, h('code', {}, `${detail.schema ? `${detail.schema}.` : ''}${detail.table || entity.name}`)),
      h('dt', {}, 'Primary key'), h('dd', {}, entity.primary_key.length ? entity.primary_key.join(', ') : 'none (no row routes)'),
      detail.comment ? [h('dt', {}, 'Comment'), h('dd', {}, detail.comment)] : null,
      h('dt', {}, 'May'), h('dd', {}, Object.entries(entity.permissions).filter(([, v]) => v).map(([k]) => k).join(', ') || 'nothing')),
    table('Fields', ['Field', 'Type', 'Null', 'Default', 'Key', 'Comment'], Object.entries(fields).map(([name, f]) => [
      name, h('code', {}, typeLabel(f)), f.nullable ? 'yes' : 'no', f.default === undefined ? '' : show(f.default), flags(name, f),
      [f.comment || '', f.enum && enums[f.enum] ? ` values: ${enums[f.enum].values.join(', ')}` : ''].join(''),
    ])),
    table('Relations to other entities', ['Name', 'Fields', 'References', 'On delete'], outgoing.map((r) => [
      r.name || '', r.fields.join(', '), [entityLink(r.references.entity), ` (${r.references.fields.join(', ')})`], r.on_delete || 'no action'])),
    table('Referenced by', ['Entity', 'Fields', 'Relation'], incoming.map(([name, r]) => [entityLink(name), r.fields.join(', '), r.name || ''])),
    table('Links (expand)', ['Link', 'To', 'Many'], entity.links.map((l) => [l.name, entityLink(l.to), l.many ? 'yes' : 'no'])),
    table('Indexes', ['Name', 'Fields', 'Unique', 'Method', 'Where'], (detail.indexes || []).map((i) => [
      i.name, i.fields.map((p) => (typeof p === 'string' ? p : p.field || p.expression || JSON.stringify(p))).join(', '), i.unique ? 'yes' : 'no', i.method || '', i.where || ''])),
    table('Unique constraints', ['Name', 'Fields'], (detail.uniques || []).map((u) => [u.name || '', (u.fields || []).join(', ')])),
    table('Checks', ['Name', 'Expression'], (detail.checks || []).map((c) => [c.name || '', h('code', {}, c.expression || c.check || JSON.stringify(c))])),
    table('Rules', ['Action', 'Rule'], Object.entries(detail.rules || {}).map(([action, rule]) => [action, h('code', {}, rule)])),
    detail.definition ? [h('h2', {}, 'Query of the view'), h('pre', {}, detail.definition)] : null,
  );
  if (model.schema.administrator) {
    const notes = h('section', { 'aria-label': 'Ledger notes', 'aria-busy': 'true', id: 'ledger' }, h('h2', {}, 'Ledger notes'), h('p', { class: 'muted' }, 'Reading the live schema…'));
    root.append(notes);
    ledger().then((filed) => {
      notes.setAttribute('aria-busy', 'false');
      if (!filed || filed.error) {
        fill(notes, h('h2', {}, 'Ledger notes'), h('p', { class: 'muted' }, `Not available: ${filed?.error || 'no answer'}`));
        return;
      }
      const mine = filed.entities[entity.name] || { entity: [], fields: {} };
      const rows = [
        ...mine.entity.map((e) => ['(the entity)', e.kind, e.message]),
        ...Object.entries(mine.fields).flatMap(([field, entries]) => entries.map((e) => [field, e.kind, e.message])),
      ];
      fill(notes, h('h2', {}, 'Ledger notes'),
        rows.length ? table('What the source has that the manifest does not hold', ['Field', 'Kind', 'Note'], rows)
          : h('p', { class: 'muted' }, 'None: the manifest holds everything the source has here.'));
    });
  }
  return null;
}
