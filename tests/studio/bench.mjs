// Speed of the studio in the browser (benches/studio.sh runs it): first
// contentful paint and the entity list on a large manifest, and the render
// of a 100-row grid page (the `studio-grid-render` measure). Medians of RUNS.

import { browser, BASE } from './lib.mjs';

const runs = Number(process.env.RUNS || 5);
const grid = process.env.GRID_ENTITY || 't0';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const paint = [];
const ready = [];
const render = [];
for (let i = 0; i < runs; i += 1) {
  const context = await browser();
  const tab = await context.newPage();
  await tab.goto(`${BASE}/_studio/`);
  await tab.waitForSelector('body[data-ready]');
  const times = await tab.evaluate(() => ({
    paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    ready: performance.getEntriesByName('studio-ready')[0]?.startTime,
  }));
  paint.push(times.paint);
  ready.push(times.ready);
  await tab.goto(`${BASE}/_studio/#/data/${grid}?limit=100`);
  await tab.waitForFunction(() => performance.getEntriesByName('studio-grid-render').length > 0);
  const rows = await tab.locator('table.grid tbody tr').count();
  if (rows !== 100) throw new Error(`the grid shows ${rows} rows, not 100`);
  render.push(await tab.evaluate(() => performance.getEntriesByName('studio-grid-render').at(-1).duration));
  await context.close();
}
console.log(`first contentful paint     ${median(paint).toFixed(0)} ms (median of ${runs}; all: ${paint.map((x) => x.toFixed(0)).join(' ')})`);
console.log(`entity list rendered       ${median(ready).toFixed(0)} ms`);
console.log(`100-row grid page render   ${median(render).toFixed(1)} ms`);
