// Tenants ([tenancy]): the registry's tenants with their state and schema
// version, activated and deactivated by the administrator; and the switcher
// that names the tenant the grid (and every API call) works on.

import { call, model, session, setTenant, tenant } from './api.js';
import { h, clear, fill, toast, uid } from './dom.js';

/** The registry's tenants: [{slug, name, state, active, schema_version, ...}]. */
async function listTenants() {
  const answer = await call('GET', '/api/_tenants');
  return Array.isArray(answer) ? answer : answer.data || answer.tenants || [];
}

/** A tenant's state in a word: provisioning, active or inactive. */
function state(t) {
  if (t.state) return t.state;
  if (t.ready === false) return 'provisioning';
  return t.active === false ? 'inactive' : 'active';
}

let known = null;

/**
 * The tenant switcher in the header: a list of the registry's tenants for
 * the administrator, a text box for others (who may not list them).
 */
export function tenantSwitch(box, changed) {
  clear(box);
  box.hidden = !model.schema.tenancy;
  if (box.hidden) return;
  const id = uid('tenant');
  const apply = (slug) => {
    setTenant(slug.trim());
    toast(slug ? `Working on tenant ${slug}` : 'No tenant chosen');
    changed();
  };
  const label = h('label', { for: id }, 'Tenant ');
  if (session()?.kind === 'service') {
    const select = h('select', { id, onchange: () => apply(select.value) }, h('option', { value: '' }, '(none)'));
    const fillOptions = (tenants) => {
      const current = tenant();
      const slugs = tenants.filter((t) => state(t) === 'active').map((t) => t.slug);
      if (current && !slugs.includes(current)) slugs.unshift(current);
      fill(select, h('option', { value: '' }, '(none)'), slugs.map((slug) => h('option', { value: slug, selected: slug === current }, slug)));
      select.value = current;
    };
    fillOptions(known || []);
    listTenants().then((tenants) => { known = tenants; fillOptions(tenants); }).catch(() => {});
    box.append(label, select);
  } else {
    const input = h('input', { id, type: 'text', value: tenant(), size: 12, autocomplete: 'off', onchange: () => apply(input.value) });
    box.append(label, input);
  }
}

export async function tenantsPage(root) {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Reading the registry…'));
  fill(root, h('h1', {}, 'Tenants'), body);
  if (!model.schema.tenancy) {
    fill(body, h('p', {}, 'This manifest has no [tenancy]: every request is for the one database.'));
    return null;
  }
  async function draw() {
    let tenants;
    try {
      tenants = await listTenants();
    } catch (error) {
      fill(body, h('p', { class: 'error', role: 'alert' }, error.message));
      return;
    }
    known = tenants;
    const current = tenant();
    const rows = tenants.map((t) => {
      const now = state(t);
      const toggle = now === 'provisioning' ? null : h('button', {
        type: 'button',
        'aria-label': `${now === 'active' ? 'Deactivate' : 'Activate'} ${t.slug}`,
        onclick: async () => {
          const action = now === 'active' ? 'deactivate' : 'activate';
          try {
            await call('POST', `/api/_tenants/${encodeURIComponent(t.slug)}/${action}`, {});
            toast(`${t.slug}: ${action}d`);
          } catch (error) {
            toast(error.message, 'error');
          }
          draw();
        },
      }, now === 'active' ? 'Deactivate' : 'Activate');
      const use = now === 'active' ? h('button', {
        type: 'button',
        'aria-label': `${current === t.slug ? 'Chosen' : 'Choose'} ${t.slug}`,
        'aria-pressed': String(current === t.slug),
        onclick: () => { setTenant(t.slug); toast(`Working on tenant ${t.slug}`); location.hash = '#/'; },
      }, current === t.slug ? 'Chosen' : 'Choose') : null;
      return h('tr', { dataset: { tenant: t.slug } },
        h('th', { scope: 'row' }, t.slug),
        h('td', {}, t.name || ''),
        h('td', { class: `state ${now}` }, now),
        h('td', { class: 'num' }, t.schema_version ?? ''),
        h('td', {}, h('code', {}, t.location || '')),
        h('td', {}, t.created_at || ''),
        h('td', { class: 'actions' }, use, ' ', toggle));
    });
    fill(body,
      h('p', { class: 'muted' }, `${tenants.length} tenant(s), strategy ${model.schema.tenancy.strategy}. Create and drop them with \`baas tenants\`.`),
      tenants.length ? h('table', { class: 'list' }, h('caption', {}, 'Tenants'),
        h('thead', {}, h('tr', {}, ['Tenant', 'Name', 'State', 'Schema version', 'Location', 'Created', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows)) : h('p', {}, 'No tenants yet: `baas tenants create SLUG` makes one.'));
  }
  await draw();
  return null;
}
