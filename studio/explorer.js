// The API explorer: the operations of the OpenAPI document, each with a
// form for its parameters and body, sent with the studio's credentials.

import { openapi, raw } from './api.js';
import { h, fill, uid } from './dom.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function resolve(document, schema) {
  let out = schema;
  for (let i = 0; out && out.$ref && i < 10; i += 1) {
    out = out.$ref.replace(/^#\//, '').split('/').reduce((node, part) => node?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], document);
  }
  return out || {};
}

/** A small example body from a schema: required and first few properties. */
function example(document, schema, depth = 0) {
  const s = resolve(document, schema);
  if (depth > 2) return null;
  if (s.example !== undefined) return s.example;
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (s.enum) return s.enum[0];
  if (type === 'object' || s.properties) {
    const out = {};
    for (const [name, property] of Object.entries(s.properties || {})) {
      const p = resolve(document, property);
      if (p.readOnly) continue;
      out[name] = example(document, p, depth + 1);
    }
    return out;
  }
  if (type === 'array') return [];
  if (type === 'integer' || type === 'number') return 0;
  if (type === 'boolean') return false;
  if (type === 'string') return s.format === 'date' ? '2024-01-01' : s.format === 'date-time' ? '2024-01-01T00:00:00Z' : '';
  return null;
}

export async function explorerPage(root, { params }) {
  const document = await openapi();
  const operations = [];
  for (const [path, item] of Object.entries(document.paths || {})) {
    for (const method of METHODS) {
      if (item[method]) operations.push({ path, method, op: item[method], common: item.parameters || [] });
    }
  }
  const filterId = uid('op-filter');
  const list = h('ul', { class: 'operations' });
  const panel = h('section', { class: 'operation', 'aria-label': 'Operation' });
  const draw = (text) => {
    const wanted = text.trim().toLowerCase();
    fill(list, ...operations.filter((o) => !wanted || `${o.method} ${o.path} ${o.op.summary || ''}`.toLowerCase().includes(wanted)).slice(0, 300).map((o) => h('li', {},
      h('a', { href: `#/api?op=${encodeURIComponent(`${o.method} ${o.path}`)}`, 'aria-current': params.get('op') === `${o.method} ${o.path}` ? 'page' : undefined },
        h('span', { class: `method ${o.method}` }, o.method.toUpperCase()), ' ', h('code', {}, o.path)))));
  };
  const search = h('input', { id: filterId, type: 'search', placeholder: 'book, post, _health…', oninput: (e) => draw(e.target.value) });
  fill(root, h('h1', {}, 'API explorer'),
    h('p', { class: 'muted' }, `${document.info?.title || 'API'} ${document.info?.version || ''}: ${operations.length} operations, from `, h('a', { href: '/api/_openapi.json' }, '/api/_openapi.json'), '.'),
    h('div', { class: 'explorer' }, h('div', {}, h('label', { for: filterId }, 'Find an operation'), search, list), panel));
  draw('');
  const chosen = params.get('op');
  const operation = operations.find((o) => `${o.method} ${o.path}` === chosen);
  if (operation) showOperation(panel, document, operation);
  else panel.append(h('p', { class: 'muted' }, 'Choose an operation.'));
  return null;
}

function showOperation(panel, document, { path, method, op, common }) {
  const parameters = [...common, ...(op.parameters || [])].map((p) => resolve(document, p));
  const inputs = {};
  const fields = parameters.filter((p) => p.in === 'path' || p.in === 'query').map((p) => {
    const id = uid('param');
    inputs[`${p.in}:${p.name}`] = h('input', { id, type: 'text', required: p.required, placeholder: p.in === 'query' ? 'optional' : '' });
    return h('div', { class: 'field' }, h('label', { for: id }, `${p.name} `, h('span', { class: 'muted' }, `(${p.in}${p.required ? ', required' : ''})`)), inputs[`${p.in}:${p.name}`], p.description ? h('small', { class: 'muted' }, p.description) : null);
  });
  const bodySchema = op.requestBody && resolve(document, op.requestBody).content?.['application/json']?.schema;
  const bodyId = uid('body');
  const body = bodySchema ? h('textarea', { id: bodyId, rows: 10, spellcheck: 'false' }, JSON.stringify(example(document, bodySchema), null, 2)) : null;
  const out = h('div', { class: 'response', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', onsubmit: async (event) => {
    event.preventDefault();
    let url = path.replace(/\{([^}]+)\}/g, (_, name) => encodeURIComponent(inputs[`path:${name}`]?.value || ''));
    const query = new URLSearchParams();
    for (const p of parameters) if (p.in === 'query' && inputs[`query:${p.name}`].value) query.set(p.name, inputs[`query:${p.name}`].value);
    if ([...query].length) url += `?${query}`;
    fill(out, h('p', { class: 'muted' }, `${method.toUpperCase()} ${url} …`));
    const answer = await raw(method.toUpperCase(), url, body ? body.value : undefined);
    let text = answer.text;
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON */ }
    fill(out, h('p', {}, h('strong', { class: answer.status < 400 ? 'ok' : 'error' }, `${answer.status} ${answer.statusText}`), ` in ${answer.ms.toFixed(0)} ms: ${method.toUpperCase()} ${url}`),
      h('details', {}, h('summary', {}, 'Headers'), h('pre', {}, answer.headers.map(([k, v]) => `${k}: ${v}`).join('\n'))),
      h('pre', { class: 'body' }, text));
  } },
  h('h2', {}, h('span', { class: `method ${method}` }, method.toUpperCase()), ' ', h('code', {}, path)),
  op.summary ? h('p', {}, op.summary) : null,
  op.description ? h('p', { class: 'muted' }, op.description) : null,
  fields,
  body ? h('div', { class: 'field' }, h('label', { for: bodyId }, 'Body (JSON)'), body) : null,
  h('button', { type: 'submit', class: 'primary' }, 'Send'));
  fill(panel, form, out);
}
