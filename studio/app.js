// The studio's shell: the entity list, the pages (by the URL's hash), the
// session, and hot reload (the page follows the served manifest).

import { call, loadModel, manifestChanged, model, session, setSession, ApiError } from './api.js';
import { h, clear, fill, toast } from './dom.js';
import { gridPage } from './grid.js';
import { schemaPage } from './schema.js';
import { diagramPage } from './diagram.js';
import { explorerPage } from './explorer.js';
import { changesPage, startChanges } from './changes.js';
import { migrationsPage } from './migrations.js';
import { tenantsPage, tenantSwitch } from './tenants.js';

const main = document.getElementById('main');
const RELOAD_POLL_MS = 1000;

/** `#/data/book?limit=25` → {page: 'data', arg: 'book', params}. */
function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?');
  const [page = '', ...rest] = path.split('/');
  return { page, arg: rest.map(decodeURIComponent).join('/'), params: new URLSearchParams(query) };
}

let current = null;
let rendered = 0;
async function render({ reload = false } = {}) {
  const { page, arg, params } = route();
  if (current?.leave) current.leave();
  current = null;
  markNav(page, arg);
  const pages = { data: gridPage, schema: schemaPage, diagram: diagramPage, api: explorerPage, changes: changesPage, login: loginPage, migrations: migrationsPage, tenants: tenantsPage };
  const view = pages[page] || homePage;
  try {
    current = await view(main, { arg, params, reload });
  } catch (error) {
    fill(main, h('h1', {}, 'Something went wrong'), h('p', { role: 'alert', class: 'error' }, error.message));
  }
  rendered += 1;
  // After a page change, focus moves to the new page's heading (as a
  // screen reader user expects); the first page keeps the natural order.
  if (!reload && rendered > 1) {
    const heading = main.querySelector('h1');
    if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  }
}

function markNav(page, arg) {
  for (const link of document.querySelectorAll('#pages a, #entity-nav a')) {
    const target = link.getAttribute('href');
    const here = target === `#/${page}` || (page === '' && target === '#/') || (arg && target === `#/data/${encodeURIComponent(arg)}`);
    if (here) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
}

function sidebar() {
  const list = clear(document.getElementById('entity-nav'));
  const filter = document.getElementById('entity-search').value.trim().toLowerCase();
  const items = [];
  for (const entity of model.discovery.entities) {
    if (filter && !entity.name.toLowerCase().includes(filter)) continue;
    items.push(h('li', {}, h('a', { href: `#/data/${encodeURIComponent(entity.name)}` }, entity.name, entity.kind !== 'table' ? h('span', { class: 'tag' }, 'view') : null)));
  }
  list.append(...items);
}

/** Counts, fetched only for the rows on screen (a manifest may have 1,000 entities). */
const counts = new Map();
function countCell(name) {
  const cell = h('td', { class: 'num', dataset: { count: name } }, counts.has(name) ? counts.get(name) : '…');
  return cell;
}

const counter = 'IntersectionObserver' in window ? new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    counter.unobserve(entry.target);
    const name = entry.target.dataset.count;
    if (counts.has(name)) continue;
    queueCount(name, entry.target);
  }
}) : null;

const waiting = [];
let running = 0;
function queueCount(name, cell) {
  waiting.push([name, cell]);
  pump();
}
function pump() {
  while (running < 4 && waiting.length) {
    const [name, cell] = waiting.shift();
    running += 1;
    call('GET', `/api/${encodeURIComponent(name)}?limit=0&count=exact`)
      .then((answer) => { counts.set(name, answer.count); cell.textContent = answer.count; })
      .catch((error) => { cell.textContent = error.status === 403 ? 'hidden' : '—'; cell.title = error.message; })
      .finally(() => { running -= 1; pump(); });
  }
}

async function homePage(root) {
  const entities = model.discovery.entities;
  const rows = entities.map((entity) => {
    const count = countCell(entity.name);
    return h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/data/${encodeURIComponent(entity.name)}` }, entity.name)),
      h('td', {}, entity.kind),
      count,
      h('td', { class: 'num' }, entity.fields.length),
      h('td', {}, entity.links.map((l) => l.name).join(', ')),
      h('td', {}, h('a', { href: `#/schema/${encodeURIComponent(entity.name)}`, 'aria-label': `Schema of ${entity.name}` }, 'schema')));
  });
  fill(root, 
    h('h1', {}, 'Entities'),
    h('p', { class: 'muted' }, `${entities.length} entities in ${model.schema.project || 'this project'}${model.schema.engine ? ` (${model.schema.engine})` : ''}.`),
    h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Entity'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col', class: 'num' }, 'Rows'), h('th', { scope: 'col', class: 'num' }, 'Fields'), h('th', { scope: 'col' }, 'Links'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Schema')))),
      h('tbody', {}, rows)));
  for (const row of rows) {
    const cell = row.querySelector('[data-count]');
    if (counts.has(cell.dataset.count)) continue;
    if (counter) counter.observe(cell); else queueCount(cell.dataset.count, cell);
  }
  return { leave() { waiting.length = 0; } };
}

async function loginPage(root) {
  const auth = model.schema.auth;
  fill(root, h('h1', {}, 'Sign in'));
  if (!auth) {
    root.append(h('p', {}, 'This manifest has no [auth]: every request is anonymous and may do everything.'));
    return null;
  }
  const forms = [];
  if (auth.service_key) {
    const key = h('input', { id: 'service-key', type: 'password', autocomplete: 'off', required: true });
    const error = h('p', { class: 'error', role: 'alert' });
    forms.push(h('form', { class: 'card', onsubmit: async (event) => {
      event.preventDefault();
      setSession({ kind: 'service', key: key.value });
      try { await call('GET', '/api/_discovery'); } catch (e) { setSession(null); error.textContent = e.message; return; }
      await signedIn('the service key');
    } }, h('h2', {}, 'Service key'), h('label', { for: 'service-key' }, 'Service key'), key, error, h('button', { type: 'submit' }, 'Use the service key')));
  }
  if (auth.users) {
    const email = h('input', { id: 'login-email', type: 'email', autocomplete: 'username', required: true });
    const password = h('input', { id: 'login-password', type: 'password', autocomplete: 'current-password', required: true });
    const error = h('p', { class: 'error', role: 'alert' });
    forms.push(h('form', { class: 'card', onsubmit: async (event) => {
      event.preventDefault();
      try {
        const answer = await call('POST', '/api/_auth/login', { email: email.value, password: password.value });
        setSession({ kind: 'user', token: answer.access_token, refresh: answer.refresh_token, email: answer.user?.email || email.value });
      } catch (e) { error.textContent = e.message; return; }
      await signedIn(email.value);
    } }, h('h2', {}, 'User'), h('label', { for: 'login-email' }, 'Email'), email, h('label', { for: 'login-password' }, 'Password'), password, error, h('button', { type: 'submit' }, 'Sign in')));
  }
  root.append(...forms);
  return null;
}

async function signedIn(who) {
  toast(`Signed in as ${who}`);
  counts.clear();
  await loadModel();
  showSession();
  sidebar();
  startChanges();
  location.hash = '#/';
}

/** The administrator's pages are offered to the administrator only. */
function showAdmin() {
  const admin = Boolean(model.schema.administrator);
  document.getElementById('nav-migrations').hidden = !(admin && model.schema.migrations);
  // `/api/_tenants` is the service key's only.
  document.getElementById('nav-tenants').hidden = !(model.schema.tenancy && session()?.kind === 'service');
  tenantSwitch(document.getElementById('tenant-switch'), () => { counts.clear(); render(); });
}

function showSession() {
  showAdmin();
  const box = clear(document.getElementById('session'));
  if (!model.schema.auth) return;
  const current = session();
  if (!current) {
    box.append(h('a', { href: '#/login' }, 'Sign in'));
    return;
  }
  box.append(h('span', { class: 'muted' }, current.kind === 'service' ? 'service key' : current.email), ' ',
    h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'));
}

/** Forgets the credentials (and, for a user, ends the session on the server). */
async function signOut() {
  const current = session();
  if (current?.kind === 'user' && current.refresh) {
    await call('POST', '/api/_auth/logout', { refresh_token: current.refresh }).catch(() => {});
  }
  setSession(null);
  counts.clear();
  await loadModel();
  showSession();
  sidebar();
  startChanges();
  toast('Signed out');
  location.hash = '#/';
  render();
}

/** Hot reload: when the served manifest changes, the model and the page follow. */
async function follow() {
  try {
    if (await manifestChanged()) {
      await loadModel();
      showAdmin();
      sidebar();
      startChanges();
      document.body.dataset.manifest = model.etag || '';
      toast('The manifest changed: the studio follows it');
      await render({ reload: true });
    }
  } catch (error) {
    if (!(error instanceof ApiError)) document.body.dataset.offline = 'true';
  }
  setTimeout(follow, RELOAD_POLL_MS);
}

async function start() {
  try {
    await loadModel();
  } catch (error) {
    fill(main, h('h1', {}, 'The API cannot be read'), h('p', { role: 'alert', class: 'error' }, error.message));
    if (error.status === 401) { setSession(null); location.reload(); }
    return;
  }
  document.getElementById('project').textContent = model.schema.project || '';
  document.getElementById('entity-search').addEventListener('input', sidebar);
  showSession();
  sidebar();
  window.addEventListener('hashchange', () => render());
  await render();
  performance.mark('studio-ready');
  document.body.dataset.ready = 'true';
  startChanges();
  manifestChanged().catch(() => {}).finally(() => setTimeout(follow, RELOAD_POLL_MS));
}

start();
