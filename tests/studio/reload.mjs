// Hot reload: the studio follows a change of baas.toml without a manual
// refresh. BAAS_MANIFEST is the served manifest file; the flow adds a field
// to `author` and a new entity, and waits for both to appear in the open page.

import { readFileSync, writeFileSync } from 'node:fs';
import { run, BASE, shot, check } from './lib.mjs';

const manifest = process.env.BAAS_MANIFEST;
check(manifest, 'BAAS_MANIFEST is not set');

await run('reload', async (tab) => {
  await tab.goto(`${BASE}/_studio/#/data/author`);
  await tab.waitForSelector('table.grid[aria-busy=false]');
  check(!(await tab.getByRole('button', { name: 'Sort by nickname' }).count()), 'nickname is there before the change');
  await tab.evaluate(() => { window.sameDocument = true; });
  await shot(tab, 'before');

  const text = readFileSync(manifest, 'utf8');
  const changed = text.replace('[entities.author.fields]\n', '[entities.author.fields]\nnickname = { type = "string", nullable = true }\n')
    + '\n[entities.publisher]\ntable = "publisher"\nprimary_key = ["id"]\n\n[entities.publisher.fields]\nid = { type = "int64", generated = "identity" }\nname = { type = "string" }\n';
  check(changed !== text, 'the manifest has no [entities.author.fields]');
  writeFileSync(manifest, changed);

  await tab.getByRole('button', { name: 'Sort by nickname' }).waitFor({ timeout: 20000 });
  await tab.getByRole('navigation', { name: 'Entities' }).getByRole('link', { name: 'publisher' }).waitFor();
  check(await tab.evaluate(() => window.sameDocument === true), 'the page was loaded again');
  await shot(tab, 'after');
  // The new field can be written at once.
  await tab.getByRole('button', { name: 'New row' }).click();
  const form = tab.getByRole('form', { name: 'New author' });
  await form.getByLabel(/^name/).fill('Ada');
  await form.getByLabel(/^nickname/).fill('the Countess');
  await form.getByRole('button', { name: 'Save' }).click();
  await tab.locator('td[data-field=nickname]', { hasText: 'the Countess' }).waitFor();
  await shot(tab, 'new-field-written');
});
