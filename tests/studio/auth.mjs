// The studio with [auth] (the example with built-in users, notes owned by
// them, the service key): anonymous callers see what the rules give them;
// a wrong password and a wrong key are refused on their forms; a user sees
// exactly her own notes and none of the closed entities; signing out
// forgets the token; the service key sees every note, the migrations page
// and the ledger notes; axe-core on every page.
//
// Environment (besides lib.mjs's): SERVICE_KEY, USER_EMAIL, USER_PASSWORD,
// USER_NOTES (how many notes the user owns), ALL_NOTES.

import { run, BASE, shot, accessible, check } from './lib.mjs';

const { SERVICE_KEY, USER_EMAIL, USER_PASSWORD } = process.env;
const USER_NOTES = Number(process.env.USER_NOTES);
const ALL_NOTES = Number(process.env.ALL_NOTES);

const idle = (tab) => tab.waitForSelector('table.grid[aria-busy=false]', { state: 'attached' });
const stored = (tab) => tab.evaluate(() => sessionStorage.getItem('baas-studio-session'));
const nav = (tab, name) => tab.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true });

async function notes(tab) {
  await tab.goto(`${BASE}/_studio/#/data/note`);
  await idle(tab);
  return tab.locator('.pager [role=status]').innerText();
}

await run('auth', async (tab) => {
  // Anonymous: no note is the caller's, books are closed, no admin pages.
  await tab.goto(`${BASE}/_studio/`);
  await tab.waitForSelector('body[data-ready]');
  await tab.locator('td[data-count="book"]', { hasText: 'hidden' }).waitFor();
  await tab.locator('td[data-count="note"]', { hasText: '0' }).waitFor();
  check(!(await nav(tab, 'Migrations').isVisible()), 'anonymous callers are offered the migrations page');
  check((await notes(tab)) === 'Rows 0–0 of 0', 'an anonymous caller sees notes');
  await shot(tab, 'anonymous');

  // The sign-in page: a wrong password, then a wrong key, each on its form.
  await tab.getByRole('link', { name: 'Sign in' }).click();
  await tab.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
  await accessible(tab, 'the sign-in page');
  await tab.getByLabel('Email').fill(USER_EMAIL);
  await tab.getByLabel('Password').fill('not the password');
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.locator('form', { hasText: 'User' }).getByRole('alert').filter({ hasText: /./ }).waitFor();
  check((await stored(tab)) === null, 'a refused login left a session');
  await tab.getByLabel('Service key').fill('not-the-key');
  await tab.getByRole('button', { name: 'Use the service key' }).click();
  await tab.locator('form', { hasText: 'Service key' }).getByRole('alert').filter({ hasText: /./ }).waitFor();
  check((await stored(tab)) === null, 'a refused key left a session');
  await shot(tab, 'sign-in-refused');
  await accessible(tab, 'the sign-in page with errors');

  // A user: her own notes only; books refused; no admin pages.
  await tab.getByLabel('Email').fill(USER_EMAIL);
  await tab.getByLabel('Password').fill(USER_PASSWORD);
  await tab.getByRole('button', { name: 'Sign in' }).click();
  await tab.locator('#session', { hasText: USER_EMAIL.toLowerCase() }).waitFor();
  check(JSON.parse(await stored(tab)).kind === 'user', 'no user session kept');
  check(!(await nav(tab, 'Migrations').isVisible()), 'a user is offered the migrations page');
  check((await notes(tab)) === `Rows 1–${USER_NOTES} of ${USER_NOTES}`, `the user does not see exactly her ${USER_NOTES} notes`);
  const me = await tab.evaluate(async () => {
    const { token } = JSON.parse(sessionStorage.getItem('baas-studio-session'));
    const response = await fetch('/api/_auth/me', { headers: { authorization: `Bearer ${token}` } });
    return (await response.json()).user;
  });
  const owners = new Set((await tab.locator('td[data-field=owner_id]').allInnerTexts()).map((text) => text.replace('→', '').trim()));
  check(owners.size === 1 && owners.has(String(me.id)), `notes of others are shown: owners ${[...owners]}, user ${me.id}`);
  await shot(tab, 'user-notes');
  await accessible(tab, 'the grid of a user');
  await tab.goto(`${BASE}/_studio/#/data/book`);
  await tab.locator('p.error[role=alert]').filter({ hasText: /./ }).waitFor();
  check(!(await tab.locator('td[data-field=title]').count()), 'a user sees books');

  // Signing out forgets the token: the notes are gone again.
  await tab.getByRole('button', { name: 'Sign out' }).click();
  await tab.getByRole('link', { name: 'Sign in' }).waitFor();
  check((await stored(tab)) === null, 'the session is kept after signing out');
  check((await notes(tab)) === 'Rows 0–0 of 0', 'notes are shown after signing out');

  // The service key: every note, the migrations page, the ledger notes.
  await tab.getByRole('link', { name: 'Sign in' }).click();
  await tab.getByLabel('Service key').fill(SERVICE_KEY);
  await tab.getByRole('button', { name: 'Use the service key' }).click();
  await tab.locator('#session', { hasText: 'service key' }).waitFor();
  check((await notes(tab)) === `Rows 1–${ALL_NOTES} of ${ALL_NOTES}`, `the service key does not see all ${ALL_NOTES} notes`);
  await shot(tab, 'service-notes');
  await nav(tab, 'Migrations').click();
  await tab.locator('#migration-summary').waitFor();
  await tab.getByRole('heading', { name: 'Drift of the live schema' }).waitFor();
  await shot(tab, 'migrations');
  await accessible(tab, 'the migrations page');
  await tab.goto(`${BASE}/_studio/#/schema/note`);
  await tab.locator('#ledger[aria-busy=false]').waitFor();
  await shot(tab, 'schema-ledger');
  await accessible(tab, 'the schema view with ledger notes');
  await tab.emulateMedia({ colorScheme: 'dark' });
  await tab.goto(`${BASE}/_studio/#/migrations`);
  await tab.locator('#migration-summary').waitFor();
  await shot(tab, 'migrations-dark');
  await accessible(tab, 'the migrations page in dark mode');
  await tab.emulateMedia({ colorScheme: 'light' });
  await tab.getByRole('button', { name: 'Sign out' }).click();
  await tab.getByRole('link', { name: 'Sign in' }).waitFor();
  check((await stored(tab)) === null, 'the service key is kept after signing out');
  check(!(await nav(tab, 'Migrations').isVisible()), 'the migrations page is offered after signing out');
});
