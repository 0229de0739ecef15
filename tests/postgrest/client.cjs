// The real PostgREST clients against `baas serve` with the PostgREST profile
// (docs/postgrest.md), over the example manifest and rows freshly loaded.
//
//   BAAS_URL=http://127.0.0.1:PORT node tests/postgrest/client.cjs
//
// `@supabase/postgrest-js` talks to BAAS_URL/rest/v1 and `@supabase/supabase-js`
// (its `from()`) to BAAS_URL, both installed by tests/tools/setup.sh
// (NODE_PATH=tests/tools/node_modules). Each call is checked for the `data`,
// `count`, `status` and `error` shape PostgREST documents; the first
// mismatch exits 1 with the call, what was expected and what came back.
// Every call's answer is printed as one JSON line (for comparing servers).
'use strict';

const assert = require('node:assert/strict');
const { PostgrestClient } = require('@supabase/postgrest-js');
const { createClient } = require('@supabase/supabase-js');

const base = process.env.BAAS_URL;
if (!base) {
  console.error('BAAS_URL is not set');
  process.exit(2);
}
const rest = new PostgrestClient(`${base}/rest/v1`);
const supabase = createClient(base, 'anon-key-for-tests', {
  auth: { persistSession: false, autoRefreshToken: false },
});

let calls = 0;

/** Runs one call, prints its answer, and checks it with `check`. */
async function call(name, builder, check) {
  const answer = await builder;
  calls += 1;
  const { data, count, status, error } = answer;
  console.log(JSON.stringify({ name, status, count, data, error }));
  try {
    check(answer);
  } catch (failure) {
    console.error(`call "${name}" failed: ${failure.message}`);
    console.error(JSON.stringify({ data, count, status, error }, null, 2));
    process.exit(1);
  }
}

/** The `error` PostgREST answers: code, message, details, hint. */
function isError(answer, status, code) {
  assert.equal(answer.status, status);
  assert.equal(answer.data, null);
  assert.ok(answer.error, 'an error is expected');
  assert.equal(answer.error.code, code);
  assert.equal(typeof answer.error.message, 'string');
  assert.ok('details' in answer.error && 'hint' in answer.error);
}

function ok(answer, status = 200) {
  assert.equal(answer.error, null, JSON.stringify(answer.error));
  assert.equal(answer.status, status);
}

const ids = (rows) => rows.map((row) => row.id);

async function reads() {
  await call('select *', rest.from('book').select('*').order('id'), (a) => {
    ok(a);
    assert.deepEqual(ids(a.data), [1, 2, 3, 4, 5]);
    assert.equal(a.data[0].title, 'A Wizard of Earthsea');
    assert.equal(a.count, null);
  });
  await call('select renamed', rest.from('book').select('name:title').eq('id', 3), (a) => {
    ok(a);
    assert.deepEqual(a.data, [{ name: 'Invisible Cities' }]);
  });
  const filters = [
    ['eq', (q) => q.eq('id', 2), [2]],
    ['neq', (q) => q.neq('id', 2), [1, 3, 4, 5]],
    ['gt', (q) => q.gt('pages', 200), [2, 4]],
    ['gte', (q) => q.gte('pages', 260), [2, 4]],
    ['lt', (q) => q.lt('pages', 183), [3]],
    ['lte', (q) => q.lte('pages', 183), [1, 3]],
    ['like', (q) => q.like('title', '%Earth%'), [1]],
    ['ilike', (q) => q.ilike('title', '%CITIES%'), [3]],
    ['match', (q) => q.match({ genre: 'fiction', author_id: 2 }), [3, 4]],
    ['regex', (q) => q.filter('title', 'match', '^The'), [2]],
    ['iregex', (q) => q.filter('title', 'imatch', '^the'), [2]],
    ['in', (q) => q.in('id', [1, 3, 9]), [1, 3]],
    ['is null', (q) => q.is('pages', null), [5]],
    ['is false', (q) => q.is('in_stock', false), [3]],
    ['not', (q) => q.not('pages', 'is', null), [1, 2, 3, 4]],
    ['not in', (q) => q.not('id', 'in', '(1,2)'), [3, 4, 5]],
    ['or', (q) => q.or('id.eq.1,pages.is.null'), [1, 5]],
    ['and inside or', (q) => q.or('id.eq.1,and(genre.eq.poetry,in_stock.is.true)'), [1, 5]],
    ['contains', (q) => q.contains('keywords', ['magic']), [1]],
    ['isdistinct', (q) => q.filter('pages', 'isdistinct', 183), [2, 3, 4, 5]],
    ['filter', (q) => q.filter('id', 'in', '(4,5)'), [4, 5]],
    ['like any', (q) => q.filter('title', 'like(any)', '{%Earth%,%Cities%}'), [1, 3]],
    ['lt all', (q) => q.filter('pages', 'lt(all)', '{200,170}'), [3]],
  ];
  for (const [name, apply, expected] of filters) {
    await call(`filter ${name}`, apply(rest.from('book').select('id').order('id')), (a) => {
      ok(a);
      assert.deepEqual(ids(a.data), expected);
    });
  }
  await call('full-text search is a clear 400', rest.from('book').select('id').textSearch('title', 'wizard'), (a) => {
    isError(a, 400, 'PGRST100');
    assert.match(a.error.message, /not supported/);
  });
  await call('order desc nulls first', rest.from('book').select('id').order('pages', { ascending: false, nullsFirst: true }), (a) => {
    ok(a);
    assert.deepEqual(ids(a.data), [5, 2, 4, 1, 3]);
  });
  await call('limit', rest.from('book').select('id').order('id').limit(2), (a) => {
    ok(a);
    assert.deepEqual(ids(a.data), [1, 2]);
  });
  await call('range', rest.from('book').select('id').order('id').range(1, 3), (a) => {
    ok(a);
    assert.deepEqual(ids(a.data), [2, 3, 4]);
  });
  await call('count exact, partial range', rest.from('book').select('id', { count: 'exact' }).order('id').range(0, 1), (a) => {
    ok(a, 206);
    assert.equal(a.count, 5);
    assert.deepEqual(ids(a.data), [1, 2]);
  });
  // The planner's estimate: a whole number (exactly 5 where the engine has
  // no planner, e.g. SQLite); 206 when it is more than the rows answered.
  await call('count planned', rest.from('book').select('*', { count: 'planned' }), (a) => {
    assert.ok(Number.isInteger(a.count) && a.count >= 0, `count ${a.count}`);
    ok(a, a.count > 5 ? 206 : 200);
    assert.equal(a.data.length, 5);
  });
  await call('count head', rest.from('book').select('*', { count: 'exact', head: true }).eq('genre', 'fiction'), (a) => {
    ok(a);
    assert.equal(a.count, 4);
    assert.equal(a.data, null);
  });
  await call('embed to one', rest.from('book').select('title, author(name)').eq('id', 5), (a) => {
    ok(a);
    assert.deepEqual(a.data, [{ title: 'View with a Grain of Sand', author: { name: 'Wisława Szymborska' } }]);
  });
  await call('embed by foreign key name', rest.from('book').select('id, writer:author!book_author_fkey(name)').eq('id', 3), (a) => {
    ok(a);
    assert.deepEqual(a.data, [{ id: 3, writer: { name: 'Italo Calvino' } }]);
  });
  await call('embed to many, filtered, ordered, limited', rest
    .from('author')
    .select('name, book(title)')
    .order('id')
    .order('title', { referencedTable: 'book', ascending: false })
    .limit(1, { referencedTable: 'book' })
    .gt('book.pages', 170), (a) => {
    ok(a);
    assert.deepEqual(a.data, [
      { name: 'Ursula K. Le Guin', book: [{ title: 'The Left Hand of Darkness' }] },
      { name: 'Italo Calvino', book: [{ title: "If on a winter's night a traveler" }] },
      { name: 'Wisława Szymborska', book: [] },
    ]);
  });
  await call('embed inner', rest.from('author').select('id, book!inner(id)').eq('book.genre', 'poetry'), (a) => {
    ok(a);
    assert.deepEqual(a.data, [{ id: 3, book: [{ id: 5 }] }]);
  });
  await call('or on an embedded resource', rest
    .from('author')
    .select('id, book(id)')
    .or('genre.eq.poetry,pages.gt.300', { referencedTable: 'book' })
    .order('id'), (a) => {
    ok(a);
    assert.deepEqual(a.data, [{ id: 1, book: [{ id: 2 }] }, { id: 2, book: [] }, { id: 3, book: [{ id: 5 }] }]);
  });
  await call('or with an embedded null test', rest
    .from('book')
    .select('id, author(name)')
    .eq('author.name', 'Italo Calvino')
    .or('author.not.is.null,id.eq.5')
    .order('id'), (a) => {
    ok(a);
    assert.deepEqual(ids(a.data), [3, 4, 5]);
    assert.equal(a.data[2].author, null);
  });
  await call('or naming an embedded column', rest
    .from('book')
    .select('id, author(name)')
    .or('author.name.eq.x,id.eq.5'), (a) => {
    isError(a, 400, 'PGRST100');
    assert.match(a.error.message, /^"failed to parse logic tree \(\(author\.name\.eq\.x,id\.eq\.5\)\)"/);
  });
  await call('single', rest.from('book').select('id, title').eq('id', 1).single(), (a) => {
    ok(a);
    assert.deepEqual(a.data, { id: 1, title: 'A Wizard of Earthsea' });
  });
  await call('single of many', rest.from('book').select('id').single(), (a) => {
    isError(a, 406, 'PGRST116');
  });
  await call('maybeSingle of none', rest.from('book').select('id').eq('id', 99).maybeSingle(), (a) => {
    ok(a);
    assert.equal(a.data, null);
  });
  await call('maybeSingle of one', rest.from('book').select('id').eq('id', 2).maybeSingle(), (a) => {
    ok(a);
    assert.deepEqual(a.data, { id: 2 });
  });
  await call('unknown table', rest.from('bok').select('*'), (a) => {
    isError(a, 404, 'PGRST205');
  });
  await call('unknown column', rest.from('book').select('nope'), (a) => {
    isError(a, 400, '42703');
  });
  await call('unknown relationship', rest.from('book').select('id, publisher(name)'), (a) => {
    isError(a, 400, 'PGRST200');
  });
  await call('rpc', rest.rpc('hello'), (a) => {
    isError(a, 404, 'PGRST202');
  });
  await call('json path select and text filter', rest.from('book').select('id, metadata->>series').eq('metadata->>series', 'Earthsea'), (a) => {
    ok(a);
    assert.deepEqual(a.data, [{ id: 1, series: 'Earthsea' }]);
  });
  await call('json path array index, alias, not is null', rest.from('book').select('id, first:metadata->awards->0').not('metadata->awards', 'is', null), (a) => {
    ok(a);
    assert.deepEqual(a.data, [{ id: 2, first: 'Hugo' }]);
  });
  await call('json path compared as json', rest.from('book').select('id').gt('metadata->volume', 0), (a) => {
    ok(a);
    assert.deepEqual(ids(a.data), [1]);
  });
  await call('json path order', rest.from('book').select('id').order('metadata->>series', { ascending: false, nullsFirst: false }).order('id').limit(2), (a) => {
    ok(a);
    assert.deepEqual(ids(a.data), [1, 2]);
  });
  await call('json path into a non-json column', rest.from('book').select('id').eq('title->>x', 'y'), (a) => {
    isError(a, 400, 'PGRST100');
  });
}

async function writes() {
  await call('insert minimal', rest.from('tag').insert({ label: 'js-1' }), (a) => {
    ok(a, 201);
    assert.equal(a.data, null);
  });
  await call('insert select', rest.from('tag').insert({ label: 'js-2' }).select(), (a) => {
    ok(a, 201);
    assert.equal(a.data.length, 1);
    assert.equal(a.data[0].label, 'js-2');
  });
  await call('insert many select single column', rest.from('tag').insert([{ label: 'js-3' }, { label: 'js-4' }]).select('label'), (a) => {
    ok(a, 201);
    assert.deepEqual(a.data, [{ label: 'js-3' }, { label: 'js-4' }]);
  });
  await call('insert single', rest.from('author').insert({ name: 'New Author' }).select('name').single(), (a) => {
    ok(a, 201);
    assert.deepEqual(a.data, { name: 'New Author' });
  });
  await call('insert duplicate', rest.from('tag').insert({ label: 'classic' }), (a) => {
    isError(a, 409, '23505');
  });
  await call('insert invalid', rest.from('book').insert({ title: 'No isbn', author_id: 1 }), (a) => {
    isError(a, 400, '23502');
  });
  await call('upsert merge', rest.from('tag').upsert([{ label: 'classic' }, { label: 'js-5' }], { onConflict: 'label' }).select('label'), (a) => {
    ok(a, 201);
    assert.deepEqual(a.data, [{ label: 'classic' }, { label: 'js-5' }]);
  });
  await call('upsert ignore', rest.from('tag').upsert([{ label: 'classic' }, { label: 'js-6' }], { onConflict: 'label', ignoreDuplicates: true }).select('label'), (a) => {
    ok(a, 201);
    assert.deepEqual(a.data, [{ label: 'js-6' }]);
  });
  await call('update minimal', rest.from('book').update({ in_stock: false }).eq('author_id', 1), (a) => {
    ok(a, 204);
    assert.equal(a.data, null);
  });
  await call('update select', rest.from('book').update({ pages: 200 }).in('id', [1, 2]).select('id, pages'), (a) => {
    ok(a);
    assert.deepEqual(a.data, [{ id: 1, pages: 200 }, { id: 2, pages: 200 }]);
  });
  await call('update count', rest.from('book').update({ in_stock: true }, { count: 'exact' }).eq('author_id', 1), (a) => {
    ok(a, 204);
    assert.equal(a.count, 2);
  });
  await call('update without filter', rest.from('book').update({ pages: 1 }), (a) => {
    isError(a, 400, '21000');
  });
  await call('update invalid', rest.from('book').update({ pages: 'many' }).eq('id', 1), (a) => {
    isError(a, 400, '22P02');
  });
  await call('delete select', rest.from('tag').delete().like('label', 'js-%').select('label').order('label'), (a) => {
    ok(a);
    assert.deepEqual(a.data.map((r) => r.label).sort(), ['js-1', 'js-2', 'js-3', 'js-4', 'js-5', 'js-6']);
  });
  await call('delete minimal', rest.from('book_tag').delete().eq('tag_id', 3), (a) => {
    ok(a, 204);
  });
  await call('delete referenced', rest.from('author').delete().eq('id', 1), (a) => {
    isError(a, 409, '23503');
  });
  await call('delete without filter', rest.from('book').delete(), (a) => {
    isError(a, 400, '21000');
  });
}

async function supabaseFrom() {
  await call('supabase select', supabase.from('book').select('id, author(name)', { count: 'exact' }).order('id').limit(2), (a) => {
    ok(a, 206);
    assert.equal(a.count, 5);
    assert.deepEqual(a.data, [
      { id: 1, author: { name: 'Ursula K. Le Guin' } },
      { id: 2, author: { name: 'Ursula K. Le Guin' } },
    ]);
  });
  await call('supabase insert and delete', supabase.from('tag').insert({ label: 'sb' }).select('label').single(), (a) => {
    ok(a, 201);
    assert.deepEqual(a.data, { label: 'sb' });
  });
  await call('supabase delete', supabase.from('tag').delete().eq('label', 'sb').select('label'), (a) => {
    ok(a);
    assert.deepEqual(a.data, [{ label: 'sb' }]);
  });
  await call('supabase single error', supabase.from('tag').select('*').eq('label', 'none').single(), (a) => {
    isError(a, 406, 'PGRST116');
  });
}

(async () => {
  await reads();
  await writes();
  await supabaseFrom();
  console.error(`${calls} calls answered as PostgREST documents`);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
