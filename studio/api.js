// The studio's only way to the server: the public API, discovery, the
// OpenAPI document, `_auth`, `_realtime` and `/_studio/schema.json`.

const SESSION = 'baas-studio-session';
const TENANT = 'baas-studio-tenant';

/** Credentials of this tab: {kind: 'service', key} or {kind: 'user', token, email}. */
export function session() {
  try { return JSON.parse(sessionStorage.getItem(SESSION)) || null; } catch { return null; }
}

export function setSession(value) {
  if (value) sessionStorage.setItem(SESSION, JSON.stringify(value));
  else sessionStorage.removeItem(SESSION);
}

/** The tenant the studio works on ([tenancy]), for this tab. */
export function tenant() {
  return sessionStorage.getItem(TENANT) || '';
}

export function setTenant(slug) {
  if (slug) sessionStorage.setItem(TENANT, slug);
  else sessionStorage.removeItem(TENANT);
}

function headers(extra) {
  const out = { accept: 'application/json', ...extra };
  const current = session();
  if (current?.kind === 'service') out.authorization = `Bearer ${current.key}`;
  if (current?.kind === 'user') out.authorization = `Bearer ${current.token}`;
  const name = model.schema?.tenancy?.header;
  if (name && tenant()) out[name] = tenant();
  return out;
}

/**
 * The URL of an API path for the chosen tenant: a server that names
 * tenants by path only gets `/t/{tenant}/api/...`.
 */
function at(path) {
  const tenancy = model.schema?.tenancy;
  if (!tenancy || tenancy.header || !tenancy.path || !tenant() || !path.startsWith('/api/')) return path;
  return `/t/${encodeURIComponent(tenant())}${path}`;
}

/** An answer that is not 2xx: `problem` is the RFC 9457 body when there is one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  /** Per-field messages: {field: message}. */
  fields() {
    const out = {};
    for (const e of this.problem.errors || []) out[e.field] = out[e.field] ? `${out[e.field]}; ${e.message}` : e.message;
    return out;
  }
}

/**
 * A user's access token lasts minutes: on a 401 the session's refresh
 * token is traded for a new one, once. Resolves to whether it was.
 */
let refreshing = null;
function refreshed() {
  // One exchange at a time: a refresh token presented twice ends the session.
  if (!refreshing) refreshing = exchange().catch(() => false).finally(() => { refreshing = null; });
  return refreshing;
}

async function exchange() {
  const current = session();
  if (current?.kind !== 'user' || !current.refresh) return false;
  const response = await fetch('/api/_auth/refresh', {
    method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, cache: 'no-store',
    body: JSON.stringify({ refresh_token: current.refresh }),
  });
  if (!response.ok) return false;
  const answer = await response.json();
  setSession({ ...current, token: answer.access_token, refresh: answer.refresh_token });
  return true;
}

/** fetch + JSON: resolves to the body (null for 204), rejects with ApiError. */
export async function call(method, path, body, options = {}) {
  const send = () => {
    const init = { method, headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }), cache: 'no-store' };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (options.signal) init.signal = options.signal;
    return fetch(at(path), init);
  };
  let response = await send();
  if (response.status === 401 && !path.startsWith('/api/_auth/') && await refreshed()) response = await send();
  if (response.status === 204) return null;
  const text = await response.text();
  let value = null;
  try { value = text ? JSON.parse(text) : null; } catch { value = text; }
  if (!response.ok) throw new ApiError(response.status, typeof value === 'object' ? value : { detail: text });
  return value;
}

/** A raw request for the API explorer: {status, headers, text, ms}. */
export async function raw(method, path, body) {
  const extra = body ? { 'content-type': 'application/json' } : {};
  const start = performance.now();
  const response = await fetch(at(path), { method, headers: headers(extra), body: body || undefined, cache: 'no-store' });
  const text = await response.text();
  return { status: response.status, statusText: response.statusText, headers: [...response.headers], text, ms: performance.now() - start };
}

export function entityPath(name) {
  return `/api/${encodeURIComponent(name)}`;
}

/** The `/{id}` of a row: its key values joined by `,` (each percent-encoded). */
export function rowPath(entity, row) {
  const key = entity.primary_key.map((f) => encodeURIComponent(String(row[f])).replaceAll(',', '%2C'));
  return `${entityPath(entity.name)}/${key.join(',')}`;
}

/** Everything the studio shows about the served manifest. */
export const model = {
  discovery: null,
  schema: null,
  etag: null,
  byName: new Map(),
};

export async function loadModel() {
  const [discovery, schema] = await Promise.all([call('GET', '/api/_discovery'), call('GET', '/_studio/schema.json')]);
  model.discovery = discovery;
  model.schema = schema;
  model.byName = new Map(discovery.entities.map((e) => [e.name, { ...e, detail: schema.entities[e.name] || {} }]));
  model.ledger = null;
  return model;
}

/**
 * The fidelity ledger of the live schema by entity (`/_studio/ledger.json`,
 * the administrator's), read once per manifest version; null for others.
 */
export function ledger() {
  if (!model.schema.administrator) return Promise.resolve(null);
  if (!model.ledger) model.ledger = call('GET', '/_studio/ledger.json').catch((error) => ({ error: error.message }));
  return model.ledger;
}

/**
 * Whether the served manifest changed since the last call: a conditional
 * GET of the OpenAPI document (304 while it is the same manifest).
 */
export async function manifestChanged() {
  const extra = model.etag ? { 'if-none-match': model.etag } : {};
  const response = await fetch('/api/_openapi.json', { headers: headers(extra), cache: 'no-store' });
  if (response.status === 304) return false;
  const etag = response.headers.get('etag');
  const before = model.etag;
  model.etag = etag;
  if (response.ok) model.openapi = await response.json();
  return before !== null && etag !== before;
}

export async function openapi() {
  if (!model.openapi) {
    const response = await fetch('/api/_openapi.json', { headers: headers(), cache: 'no-store' });
    model.etag = response.headers.get('etag');
    model.openapi = await response.json();
  }
  return model.openapi;
}

/**
 * Server-sent events over fetch (EventSource cannot send credentials
 * headers). Calls onEvent({event, id, data}) until `signal` aborts;
 * reconnects with Last-Event-ID after a drop.
 */
export async function stream(path, onEvent, signal, onState = () => {}) {
  let last = null;
  while (!signal.aborted) {
    try {
      const extra = last ? { 'last-event-id': last } : {};
      const response = await fetch(at(path), { headers: { ...headers(extra), accept: 'text/event-stream' }, signal, cache: 'no-store' });
      if (!response.ok) {
        let problem = null;
        try { problem = await response.json(); } catch { /* not JSON */ }
        onState('error', new ApiError(response.status, problem));
        return;
      }
      onState('open');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          const message = { event: 'message', id: null, data: '' };
          for (const line of block.split(/\r?\n/)) {
            if (!line || line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') message.event = text;
            else if (field === 'id') message.id = text;
            else if (field === 'data') message.data += (message.data ? '\n' : '') + text;
          }
          if (message.id) last = message.id;
          if (message.data) onEvent(message);
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      onState('retry', error);
    }
    if (!signal.aborted) {
      onState('retry');
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
