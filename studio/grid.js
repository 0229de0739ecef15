// The data grid of one entity: the API's filters, sort, paging, column
// select and expand, kept in the page's URL; inline edit, create and delete
// with the API's per-field validation errors shown on the fields.

import { call, entityPath, model, rowPath, ApiError } from './api.js';
import { h, clear, fill, show, toast, uid } from './dom.js';

const RESERVED = new Set(['limit', 'offset', 'order', 'select', 'expand', 'where', 'count', 'or', 'and']);
const OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is'];
const PAGE_SIZES = [25, 50, 100, 250];

/** A text typed by a person, as the JSON value of `field`. */
export function parseValue(field, text) {
  if (text === '') return field.nullable ? null : (isText(field) ? '' : undefined);
  switch (field.type) {
    case 'int16': case 'int32': case 'int64':
      return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
    case 'float32': case 'float64': {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? n : text;
    }
    case 'bool':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'json': case 'array': case 'object':
      try { return JSON.parse(text); } catch { return text; }
    default:
      return text;
  }
}

function isText(field) {
  return ['string', 'text', 'native', 'interval'].includes(field.type);
}

/** The value of a row as the text of its input. */
function editText(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value, null, 1);
  return String(value);
}

/** An input fitting `field`'s type. */
export function fieldInput(field, value, attrs) {
  const text = editText(value);
  if (field.values || field.type === 'bool') {
    const options = field.values || ['true', 'false'];
    const select = h('select', attrs,
      (field.nullable || value === undefined) ? h('option', { value: '' }, field.nullable ? '(null)' : '') : null,
      options.map((option) => h('option', { value: option, selected: option === text }, option)));
    select.value = text;
    return select;
  }
  if (['json', 'array', 'object'].includes(field.type)) {
    return h('textarea', { ...attrs, rows: 3, spellcheck: 'false' }, text);
  }
  return h('input', { ...attrs, type: 'text', value: text, inputmode: field.type.startsWith('int') ? 'numeric' : undefined, maxlength: field.max_length ? undefined : undefined });
}

function state(entity, params) {
  const fields = entity.fields.map((f) => f.name);
  const filters = [];
  for (const [name, value] of params) if (!RESERVED.has(name)) filters.push([name, value]);
  return {
    filters,
    where: params.get('where'),
    order: params.get('order') || '',
    limit: Number(params.get('limit')) || 25,
    offset: Number(params.get('offset')) || 0,
    select: params.get('select') ? params.get('select').split(',').filter((f) => fields.includes(f)) : fields,
    expand: params.get('expand') ? params.get('expand').split(',') : [],
  };
}

function hashOf(entity, s) {
  const params = new URLSearchParams();
  for (const [name, value] of s.filters) params.append(name, value);
  if (s.where) params.set('where', s.where);
  if (s.order) params.set('order', s.order);
  if (s.limit !== 25) params.set('limit', s.limit);
  if (s.offset) params.set('offset', s.offset);
  if (s.select.length !== entity.fields.length) params.set('select', s.select.join(','));
  if (s.expand.length) params.set('expand', s.expand.join(','));
  const query = params.toString();
  return `#/data/${encodeURIComponent(entity.name)}${query ? `?${query}` : ''}`;
}

/** The API query of the grid's state. */
function queryOf(entity, s) {
  const params = new URLSearchParams();
  for (const [name, value] of s.filters) params.append(name, value);
  if (s.where) params.set('where', s.where);
  if (s.order) params.set('order', s.order);
  params.set('limit', s.limit);
  if (s.offset) params.set('offset', s.offset);
  // The key is always read, so that rows can be edited and deleted.
  const select = [...new Set([...entity.primary_key, ...s.select])];
  if (select.length !== entity.fields.length) params.set('select', select.join(','));
  if (s.expand.length) params.set('expand', s.expand.join(','));
  params.set('count', 'exact');
  return params.toString();
}

/** The to-one relations of an entity, by field: {field: {to, fields, refs}}. */
function foreignKeys(entity) {
  const out = {};
  for (const relation of entity.detail.relations || []) {
    relation.fields.forEach((field, i) => {
      out[field] = { to: relation.references.entity, relation, ref: relation.references.fields[i] };
    });
  }
  return out;
}

function followHash(relation, row) {
  const params = new URLSearchParams();
  relation.fields.forEach((field, i) => params.append(relation.references.fields[i], `eq.${row[field]}`));
  return `#/data/${encodeURIComponent(relation.references.entity)}?${params}`;
}

/** The link a to-many expansion names, as a filter on the other entity. */
function incomingHash(entity, link, row) {
  const other = model.byName.get(link.to);
  const relation = (other?.detail.relations || []).find((r) => r.references.entity === entity.name);
  if (!relation) return null;
  const params = new URLSearchParams();
  relation.fields.forEach((field, i) => params.append(field, `eq.${row[relation.references.fields[i]]}`));
  return `#/data/${encodeURIComponent(link.to)}?${params}`;
}

export async function gridPage(root, { arg, params }) {
  const entity = model.byName.get(arg);
  if (!entity) {
    fill(root, h('h1', {}, 'Unknown entity'), h('p', { class: 'error', role: 'alert' }, `There is no entity named ${arg}.`));
    return null;
  }
  const s = state(entity, params);
  const writable = entity.kind === 'table' && entity.primary_key.length > 0;
  const can = {
    create: entity.kind === 'table' && entity.permissions.create !== false,
    update: writable && entity.permissions.update !== false,
    delete: writable && entity.permissions.delete !== false,
  };
  const go = (change) => { Object.assign(s, change); location.hash = hashOf(entity, s); };
  const byName = Object.fromEntries(entity.fields.map((f) => [f.name, f]));

  // Filters.
  const fieldSelect = h('select', { id: uid('filter-field'), 'aria-label': 'Filter field' }, entity.fields.map((f) => h('option', { value: f.name }, f.name)));
  const opSelect = h('select', { id: uid('filter-op'), 'aria-label': 'Filter operator' }, OPERATORS.map((op) => h('option', { value: op }, op)));
  const valueInput = h('input', { id: uid('filter-value'), type: 'text', 'aria-label': 'Filter value', placeholder: 'value (* is a wildcard)' });
  const filterForm = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter rows', onsubmit: (event) => {
    event.preventDefault();
    let value = valueInput.value;
    if (opSelect.value === 'in') value = `(${value})`;
    go({ filters: [...s.filters, [fieldSelect.value, `${opSelect.value}.${value}`]], offset: 0 });
  } }, fieldSelect, opSelect, valueInput, h('button', { type: 'submit' }, 'Add filter'));
  const chips = h('ul', { class: 'chips', 'aria-label': 'Active filters' },
    s.filters.map(([name, value], i) => h('li', {}, h('code', {}, `${name}=${value}`), h('button', {
      type: 'button', class: 'icon', 'aria-label': `Remove filter ${name}=${value}`,
      onclick: () => go({ filters: s.filters.filter((_, j) => j !== i), offset: 0 }),
    }, '×'))),
    s.where ? h('li', {}, h('code', {}, `where=${s.where}`), h('button', { type: 'button', class: 'icon', 'aria-label': 'Remove the where filter', onclick: () => go({ where: null, offset: 0 }) }, '×')) : null);

  // Columns and expand.
  const columns = h('details', { class: 'menu' }, h('summary', {}, 'Columns'),
    h('fieldset', {}, h('legend', {}, 'Columns shown'), entity.fields.map((f) => {
      const id = uid('col');
      return h('div', {}, h('input', { type: 'checkbox', id, checked: s.select.includes(f.name), onchange: (event) => {
        const select = event.target.checked ? entity.fields.map((x) => x.name).filter((n) => n === f.name || s.select.includes(n)) : s.select.filter((n) => n !== f.name);
        if (select.length) go({ select });
      } }), h('label', { for: id }, f.name));
    })));
  const expand = entity.links.length ? h('details', { class: 'menu' }, h('summary', {}, 'Expand'),
    h('fieldset', {}, h('legend', {}, 'Related rows shown'), entity.links.map((link) => {
      const id = uid('exp');
      return h('div', {}, h('input', { type: 'checkbox', id, checked: s.expand.includes(link.name), onchange: (event) => {
        go({ expand: event.target.checked ? [...s.expand, link.name] : s.expand.filter((n) => n !== link.name) });
      } }), h('label', { for: id }, `${link.name} (${link.many ? 'many' : 'one'} ${link.to})`));
    }))) : null;
  const sizeId = uid('size');
  const size = h('span', {}, h('label', { for: sizeId }, 'Rows per page '), h('select', { id: sizeId, onchange: (event) => go({ limit: Number(event.target.value), offset: 0 }) },
    PAGE_SIZES.map((n) => h('option', { value: n, selected: n === s.limit }, n))));

  const formBox = h('div');
  const newButton = can.create ? h('button', { type: 'button', class: 'primary', onclick: () => openForm(formBox, entity, () => load()) }, 'New row') : null;
  const table = h('table', { class: 'grid', role: 'grid', 'aria-label': `Rows of ${entity.name}`, 'aria-busy': 'true' });
  const pager = h('div', { class: 'pager' });
  const message = h('p', { class: 'error', role: 'alert' });

  fill(root, 
    h('div', { class: 'title' }, h('h1', {}, entity.name, entity.kind !== 'table' ? h('span', { class: 'tag' }, `${entity.kind.replace('_', ' ')}, read-only`) : null),
      h('a', { href: `#/schema/${encodeURIComponent(entity.name)}` }, 'Schema'), newButton),
    h('div', { class: 'toolbar' }, filterForm, columns, expand, size),
    chips, message, formBox, h('div', { class: 'scroll' }, table), pager);

  const keys = foreignKeys(entity);

  async function load() {
    const started = performance.now();
    table.setAttribute('aria-busy', 'true');
    let answer;
    try {
      answer = await call('GET', `${entityPath(entity.name)}?${queryOf(entity, s)}`);
      message.textContent = '';
    } catch (error) {
      message.textContent = error.message;
      table.setAttribute('aria-busy', 'false');
      return;
    }
    const fetched = performance.now();
    drawTable(answer.data);
    drawPager(answer.data.length, answer.count);
    table.setAttribute('aria-busy', 'false');
    const done = performance.now();
    performance.measure('studio-grid-render', { start: fetched, end: done });
    performance.measure('studio-grid-load', { start: started, end: done });
    root.dataset.rows = answer.data.length;
  }

  function sortButton(field) {
    const [current, direction] = (s.order.split(',')[0] || '').split('.');
    const active = current === field.name;
    const next = active && direction !== 'desc' ? `${field.name}.desc` : `${field.name}.asc`;
    return h('button', { type: 'button', class: 'sort', onclick: () => go({ order: next, offset: 0 }), 'aria-label': `Sort by ${field.name}${active && direction !== 'desc' ? ', descending' : ''}` },
      field.name, active ? (direction === 'desc' ? ' ▼' : ' ▲') : '');
  }

  function drawTable(rows) {
    const shown = s.select.map((name) => byName[name]).filter(Boolean);
    const links = entity.links.filter((l) => s.expand.includes(l.name));
    const [sorted, direction] = (s.order.split(',')[0] || '').split('.');
    const head = h('tr', {}, shown.map((f) => h('th', { scope: 'col', 'aria-sort': f.name === sorted ? (direction === 'desc' ? 'descending' : 'ascending') : undefined, title: f.type }, sortButton(f))),
      links.map((l) => h('th', { scope: 'col' }, l.name)),
      (can.update || can.delete) ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')) : null);
    const body = document.createDocumentFragment();
    for (const row of rows) body.append(drawRow(row, shown, links));
    fill(table, h('thead', {}, head), h('tbody', {}, body));
    if (!rows.length) table.append(h('tbody', {}, h('tr', {}, h('td', { colspan: shown.length + links.length + 1, class: 'muted' }, 'No rows'))));
    const first = table.querySelector('tbody td[tabindex]');
    if (first) first.tabIndex = 0;
  }

  function drawRow(row, shown, links) {
    const tr = h('tr', { dataset: { key: entity.primary_key.map((k) => row[k]).join(',') } });
    for (const field of shown) tr.append(drawCell(row, field));
    for (const link of links) {
      const value = row[link.name];
      let content;
      if (link.many) {
        const target = incomingHash(entity, link, row);
        const text = `${(value || []).length} ${link.to}`;
        content = target ? h('a', { href: target }, text) : text;
      } else if (value) {
        const other = model.byName.get(link.to);
        const label = other ? other.fields.map((f) => value[f.name]).find((v) => typeof v === 'string') ?? show(value[other.primary_key[0]]) : show(value);
        content = h('span', { title: JSON.stringify(value) }, label);
      } else content = '';
      tr.append(h('td', {}, content));
    }
    if (can.update || can.delete) tr.append(h('td', { class: 'actions' }, can.delete ? deleteButton(row, tr) : null));
    return tr;
  }

  function drawCell(row, field) {
    const value = row[field.name];
    const fk = keys[field.name];
    const td = h('td', { tabindex: -1, dataset: { field: field.name }, class: typeof value === 'number' ? 'num' : undefined });
    td.append(value === null ? h('span', { class: 'null' }, 'null') : show(value));
    if (fk && value !== null && value !== undefined) {
      td.append(' ', h('a', { href: followHash(fk.relation, row), class: 'follow', 'aria-label': `Open ${fk.to} ${value}`, title: `Open ${fk.to} ${value}` }, '→'));
    }
    const editable = can.update && !field.generated && !entity.primary_key.includes(field.name);
    if (editable) {
      td.classList.add('editable');
      td.addEventListener('dblclick', () => edit(td, row, field));
    }
    td.addEventListener('keydown', (event) => {
      if ((event.key === 'Enter' || event.key === 'F2') && editable && event.target === td) { event.preventDefault(); edit(td, row, field); }
      else move(td, event);
    });
    return td;
  }

  function move(td, event) {
    const moves = { ArrowRight: [0, 1], ArrowLeft: [0, -1], ArrowDown: [1, 0], ArrowUp: [-1, 0] };
    const step = moves[event.key];
    if (!step || event.target !== td) return;
    event.preventDefault();
    const tr = td.parentElement;
    const rowIndex = [...tr.parentElement.children].indexOf(tr) + step[0];
    const cells = (row) => [...row.querySelectorAll('td[data-field]')];
    const target = tr.parentElement.children[rowIndex];
    if (!target) return;
    const next = cells(target)[cells(tr).indexOf(td) + step[1]];
    if (!next) return;
    td.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  }

  function edit(td, row, field) {
    if (td.querySelector('input, select, textarea')) return;
    const id = uid('edit');
    const input = fieldInput(field, row[field.name], { id, 'aria-label': `Edit ${field.name}` });
    const error = h('span', { class: 'field-error', id: `${id}-error`, role: 'alert' });
    const saved = [...td.childNodes];
    fill(td, input, error);
    td.classList.add('editing');
    input.focus();
    const close = () => { td.classList.remove('editing'); fill(td, ...saved); td.focus(); };
    input.addEventListener('keydown', async (event) => {
      event.stopPropagation();
      if (event.key === 'Escape') { event.preventDefault(); close(); return; }
      if (event.key !== 'Enter' || (input.tagName === 'TEXTAREA' && !event.ctrlKey)) return;
      event.preventDefault();
      const value = parseValue(field, input.value);
      try {
        const stored = await call('PATCH', rowPath(entity, row), { [field.name]: value === undefined ? '' : value });
        Object.assign(row, stored);
        toast(`Saved ${field.name}`);
        const fresh = drawCell(row, field);
        fresh.tabIndex = 0;
        td.replaceWith(fresh);
        fresh.focus();
      } catch (e) {
        const fields = e instanceof ApiError ? e.fields() : {};
        error.textContent = fields[field.name] || e.message;
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', error.id);
      }
    });
  }

  function deleteButton(row, tr) {
    const key = entity.primary_key.map((k) => row[k]).join(',');
    const button = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete row ${key}` }, 'Delete');
    let armed = null;
    button.addEventListener('click', async () => {
      if (!armed) {
        button.textContent = 'Confirm delete';
        button.setAttribute('aria-label', `Confirm: delete row ${key}`);
        armed = setTimeout(() => { armed = null; button.textContent = 'Delete'; button.setAttribute('aria-label', `Delete row ${key}`); }, 5000);
        return;
      }
      clearTimeout(armed);
      try {
        await call('DELETE', rowPath(entity, row));
        toast(`Deleted row ${key}`);
        tr.remove();
        load();
      } catch (e) {
        message.textContent = e.message;
        button.textContent = 'Delete';
        armed = null;
      }
    });
    return button;
  }

  function drawPager(shown, count) {
    const from = count === 0 ? 0 : s.offset + 1;
    const to = s.offset + shown;
    fill(pager, 
      h('button', { type: 'button', disabled: s.offset === 0, onclick: () => go({ offset: Math.max(0, s.offset - s.limit) }) }, 'Previous page'),
      h('span', { role: 'status', class: 'count' }, `Rows ${from}–${to} of ${count}`),
      h('button', { type: 'button', disabled: to >= count, onclick: () => go({ offset: s.offset + s.limit }) }, 'Next page'));
  }

  await load();
  return { reload: load };
}

/** The create form: one input per field the client may send. */
function openForm(box, entity, done) {
  if (box.firstChild) { box.querySelector('input, select, textarea')?.focus(); return; }
  const inputs = {};
  const errors = {};
  const summary = h('p', { class: 'error', role: 'alert' });
  const fields = entity.fields.filter((f) => !f.generated);
  const form = h('form', { class: 'card create', 'aria-label': `New ${entity.name}`, novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    const body = {};
    for (const field of fields) {
      const text = inputs[field.name].value;
      if (text === '' && !field.required_on_insert) continue;
      const value = parseValue(field, text);
      if (value !== undefined) body[field.name] = value;
    }
    for (const name in errors) { errors[name].textContent = ''; inputs[name].removeAttribute('aria-invalid'); }
    summary.textContent = '';
    try {
      await call('POST', entityPath(entity.name), body);
      toast(`Created a ${entity.name}`);
      clear(box);
      done();
    } catch (e) {
      const messages = e instanceof ApiError ? e.fields() : {};
      let first = null;
      for (const [name, text] of Object.entries(messages)) {
        if (!errors[name]) continue;
        errors[name].textContent = text;
        inputs[name].setAttribute('aria-invalid', 'true');
        first = first || inputs[name];
      }
      summary.textContent = e.message;
      (first || summary).focus?.();
    }
  } },
  h('h2', {}, `New ${entity.name}`),
  fields.map((field) => {
    const id = uid(`new-${field.name}`);
    inputs[field.name] = fieldInput(field, undefined, { id, name: field.name, 'aria-describedby': `${id}-error`, required: field.required_on_insert });
    errors[field.name] = h('span', { class: 'field-error', id: `${id}-error` });
    return h('div', { class: 'field' },
      h('label', { for: id }, field.name, field.required_on_insert ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null, ' ', h('span', { class: 'muted' }, field.type)),
      inputs[field.name], errors[field.name]);
  }),
  summary,
  h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Save'), h('button', { type: 'button', onclick: () => clear(box) }, 'Cancel')));
  box.append(form);
  form.querySelector('input, select, textarea')?.focus();
}
