// The studio on `baas serve --example` (the bookshop): every page, a grid
// filtered and sorted, a row created with an invalid value (the field's
// error shown on the field), fixed and saved, edited, deleted, a relation
// followed, the change log, the API explorer; axe-core on every page.

import { run, BASE, shot, accessible, check } from './lib.mjs';

const api = async (tab, path) => tab.evaluate(async (p) => {
  const response = await fetch(p);
  return { status: response.status, body: response.status === 200 ? await response.json() : null };
}, path);

const status = (tab) => tab.locator('.pager [role=status]').innerText();

await run('example', async (tab) => {
  // The root redirects to the studio; the entity list shows counts.
  await tab.goto(`${BASE}/`);
  check(new URL(tab.url()).pathname === '/_studio/', `redirected to ${tab.url()}`);
  await tab.waitForSelector('body[data-ready]');
  await tab.locator('td[data-count="book"]', { hasText: '5' }).waitFor();
  await shot(tab, 'entities');
  await accessible(tab, 'the entity list');

  // Keyboard: the first Tab reaches the skip link.
  await tab.keyboard.press('Tab');
  check(await tab.evaluate(() => document.activeElement.textContent) === 'Skip to content', 'the first Tab is not the skip link');

  // The grid: filter, then sort.
  await tab.getByRole('navigation', { name: 'Entities' }).getByRole('link', { name: 'book', exact: true }).click();
  await tab.waitForSelector('table.grid[aria-busy=false]');
  check((await status(tab)) === 'Rows 1–5 of 5', await status(tab));
  await shot(tab, 'grid');
  await accessible(tab, 'the grid');
  await tab.getByLabel('Filter field').selectOption('genre');
  await tab.getByLabel('Filter operator').selectOption('eq');
  await tab.getByLabel('Filter value').fill('fiction');
  await tab.getByRole('button', { name: 'Add filter' }).click();
  await tab.locator('.pager [role=status]', { hasText: 'of 4' }).waitFor();
  check(tab.url().includes('genre=eq.fiction'), `the filter is not in the URL: ${tab.url()}`);
  await tab.getByRole('button', { name: 'Sort by price' }).click();
  await tab.locator('th[aria-sort=ascending]').waitFor();
  const prices = async () => (await tab.locator('td[data-field=price]').allInnerTexts()).map(Number);
  let seen = await prices();
  check(seen.join() === [...seen].sort((a, b) => a - b).join() && seen.length === 4, `not sorted up: ${seen}`);
  await tab.getByRole('button', { name: 'Sort by price, descending' }).click();
  await tab.locator('th[aria-sort=descending]').waitFor();
  seen = await prices();
  check(seen.join() === [...seen].sort((a, b) => b - a).join(), `not sorted down: ${seen}`);
  await shot(tab, 'grid-filtered-sorted');

  // Columns and expand.
  await tab.getByText('Columns', { exact: true }).click();
  await tab.getByLabel('metadata', { exact: true }).uncheck();
  await tab.waitForSelector('table.grid[aria-busy=false]');
  check(!(await tab.locator('td[data-field=metadata]').count()), 'the metadata column is still shown');
  await tab.getByText('Expand', { exact: true }).click();
  await tab.getByLabel('author (one author)').check();
  await tab.locator('td', { hasText: 'Ursula K. Le Guin' }).first().waitFor();

  // Create: an ISBN longer than its 17 characters is refused on its field.
  await tab.getByRole('button', { name: 'New row' }).click();
  const form = tab.getByRole('form', { name: 'New book' });
  await form.getByLabel(/^title/).fill('Studio test');
  await form.getByLabel(/^isbn/).fill('978-0-00-000000-0-and-more');
  await form.getByLabel(/^author_id/).fill('1');
  await form.getByRole('button', { name: 'Save' }).click();
  const isbnError = form.locator('.field-error').filter({ hasText: /17/ });
  await isbnError.waitFor();
  check(await form.getByLabel(/^isbn/).getAttribute('aria-invalid') === 'true', 'the isbn input is not marked invalid');
  check((await form.locator('.field-error').filter({ hasText: /./ }).count()) === 1, 'other fields show errors');
  await shot(tab, 'create-invalid');
  await accessible(tab, 'the create form with an error');
  await form.getByLabel(/^isbn/).fill('978-0-00-000000-1');
  await form.getByRole('button', { name: 'Save' }).click();
  await form.waitFor({ state: 'detached' });
  await tab.locator('.pager [role=status]', { hasText: 'of 5' }).waitFor();
  const created = (await api(tab, '/api/book?isbn=eq.978-0-00-000000-1')).body.data[0];
  check(created && created.title === 'Studio test', `not created: ${JSON.stringify(created)}`);

  // Edit inline: double-click, type, Enter.
  const row = tab.locator(`tr[data-key="${created.id}"]`);
  await row.locator('td[data-field=title]').dblclick();
  await row.getByLabel('Edit title').fill('Studio test, edited');
  await row.getByLabel('Edit title').press('Enter');
  await row.locator('td[data-field=title]', { hasText: 'Studio test, edited' }).waitFor();
  check((await api(tab, `/api/book/${created.id}`)).body.title === 'Studio test, edited', 'the edit was not stored');
  // An invalid edit shows the API's message on the cell.
  await row.locator('td[data-field=pages]').dblclick();
  await row.getByLabel('Edit pages').fill('many');
  await row.getByLabel('Edit pages').press('Enter');
  await row.locator('td[data-field=pages] .field-error').filter({ hasText: /./ }).waitFor();
  await shot(tab, 'edit-invalid');
  await row.getByLabel('Edit pages').press('Escape');

  // Delete (two steps).
  await row.getByRole('button', { name: `Delete row ${created.id}` }).click();
  await row.getByRole('button', { name: `Confirm: delete row ${created.id}` }).click();
  await row.waitFor({ state: 'detached' });
  check((await api(tab, `/api/book/${created.id}`)).status === 404, 'the row was not deleted');

  // Follow a relation: a book's author.
  await tab.getByRole('link', { name: 'Open author 2' }).first().click();
  // The book grid is still there, not busy, until the author grid replaces
  // it: wait for the author's rows, not for any idle grid.
  await tab.waitForSelector('td[data-field=name]').catch(() => {});
  await tab.waitForSelector('table.grid[aria-busy=false]');
  check(tab.url().includes('#/data/author?id=eq.2'), tab.url());
  check((await tab.locator('td[data-field=name]').allInnerTexts()).join() === 'Italo Calvino', 'not the author');
  await shot(tab, 'relation-followed');

  // A composite key and a view.
  await tab.goto(`${BASE}/_studio/#/data/book_tag`);
  await tab.waitForSelector('table.grid[aria-busy=false]');
  const pair = await tab.locator('tbody tr').first().getAttribute('data-key');
  await tab.getByRole('button', { name: `Delete row ${pair}` }).click();
  await tab.getByRole('button', { name: `Confirm: delete row ${pair}` }).click();
  await tab.locator(`tr[data-key="${pair}"]`).waitFor({ state: 'detached' });
  check((await api(tab, `/api/book_tag/${pair}`)).status === 404, `book_tag ${pair} was not deleted`);
  await tab.goto(`${BASE}/_studio/#/data/book_in_stock`);
  await tab.waitForSelector('table.grid[aria-busy=false]');
  check(!(await tab.getByRole('button', { name: 'New row' }).count()), 'a view offers to create rows');
  check(!(await tab.getByRole('button', { name: /^Delete/ }).count()), 'a view offers to delete rows');

  // Schema, diagram, changes, API explorer.
  await tab.goto(`${BASE}/_studio/#/schema/book`);
  await tab.getByRole('table', { name: 'Indexes' }).getByText('book_title_idx').waitFor();
  await tab.getByRole('table', { name: 'Relations to other entities' }).getByText('book_author_fkey').waitFor();
  await shot(tab, 'schema');
  await accessible(tab, 'the schema view');
  await tab.goto(`${BASE}/_studio/#/diagram`);
  check((await tab.locator('svg.diagram .node').count()) === 5, 'the diagram does not show 5 entities');
  check((await tab.locator('svg.diagram .edge').count()) === 3, 'the diagram does not show 3 relations');
  await shot(tab, 'diagram');
  await accessible(tab, 'the diagram');
  await tab.locator('svg.diagram .node', { hasText: 'tag' }).filter({ hasNotText: 'book' }).click();
  await tab.getByRole('heading', { name: 'Relations of tag' }).waitFor();
  check((await tab.locator('svg.diagram .node').count()) === 2, 'the neighbourhood of tag is not tag and book_tag');
  await tab.goto(`${BASE}/_studio/#/changes`);
  await tab.locator('.changes li', { hasText: 'delete' }).first().waitFor();
  const kinds = await tab.locator('.changes li strong').allInnerTexts();
  for (const kind of ['create', 'update', 'delete']) check(kinds.includes(kind), `no ${kind} in the change log: ${kinds}`);
  await shot(tab, 'changes');
  await accessible(tab, 'the change log');
  await tab.goto(`${BASE}/_studio/#/api`);
  await tab.getByLabel('Find an operation').fill('/api/author/');
  await tab.getByRole('link', { name: /GET \/api\/author\/\{id\}/ }).click();
  await tab.getByLabel(/^id/).fill('1');
  await tab.getByRole('button', { name: 'Send' }).click();
  await tab.locator('.response pre.body', { hasText: 'Ursula' }).waitFor();
  await shot(tab, 'explorer');
  await accessible(tab, 'the API explorer');

  // Dark mode is a colour scheme of its own.
  await tab.emulateMedia({ colorScheme: 'dark' });
  const dark = await tab.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await tab.emulateMedia({ colorScheme: 'light' });
  const light = await tab.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(dark !== light, `the same background in both schemes: ${dark}`);
  await tab.emulateMedia({ colorScheme: 'dark' });
  await tab.goto(`${BASE}/_studio/#/data/book`);
  await tab.waitForSelector('table.grid[aria-busy=false]');
  await shot(tab, 'grid-dark');
  await accessible(tab, 'the grid in dark mode');
});
