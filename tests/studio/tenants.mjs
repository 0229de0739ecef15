// Tenants ([tenancy], file strategy, two tenants): the service key sees the
// Tenants page with each tenant's state and schema version, deactivates and
// activates one, and the switcher names the tenant the grid reads (a row
// written in acme only is seen in acme only); axe-core on the page.
//
// Environment (besides lib.mjs's): SERVICE_KEY.

import { run, BASE, shot, accessible, check } from './lib.mjs';

const idle = (tab) => tab.waitForSelector('table.grid[aria-busy=false]', { state: 'attached' });
const rowOf = (tab, slug) => tab.locator(`tr[data-tenant="${slug}"]`);

await run('tenants', async (tab) => {
  await tab.goto(`${BASE}/_studio/#/login`);
  await tab.waitForSelector('body[data-ready]');
  check(!(await tab.locator('#nav-tenants').isVisible()), 'the Tenants page is offered before signing in');
  await tab.getByLabel('Service key').fill(process.env.SERVICE_KEY);
  await tab.getByRole('button', { name: 'Use the service key' }).click();
  await tab.locator('#session', { hasText: 'service key' }).waitFor();
  await tab.locator('#nav-tenants').click();
  await rowOf(tab, 'acme').waitFor();
  check((await rowOf(tab, 'globex').locator('td.state').innerText()) === 'active', 'globex is not active');
  await shot(tab, 'tenants');
  await accessible(tab, 'the tenants page');

  await tab.getByRole('button', { name: 'Deactivate globex' }).click();
  await rowOf(tab, 'globex').locator('td.state', { hasText: 'inactive' }).waitFor();
  await tab.getByRole('button', { name: 'Activate globex' }).click();
  await rowOf(tab, 'globex').locator('td.state', { hasText: /^active$/ }).waitFor();

  // The switcher: acme has the one item, globex none.
  await tab.getByLabel('Tenant').selectOption('acme');
  await tab.goto(`${BASE}/_studio/#/data/item`);
  await idle(tab);
  await tab.locator('.pager [role=status]', { hasText: 'of 1' }).waitFor();
  check((await tab.locator('td[data-field=label]').allInnerTexts()).join() === 'only in acme', 'not acme\'s item');
  await shot(tab, 'grid-acme');
  await tab.getByLabel('Tenant').selectOption('globex');
  await idle(tab);
  await tab.locator('.pager [role=status]', { hasText: 'of 0' }).waitFor();
  await shot(tab, 'grid-globex');
  await accessible(tab, 'the grid of a tenant');
});
