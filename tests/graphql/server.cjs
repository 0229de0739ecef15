// A small GraphQL server (graphql-yoga) for the GraphQL upstream tests:
// books (a Relay connection with a filter input, an `orderBy: {price: DESC}`
// order and a totalCount, null for author 3's books, at most 10 a page),
// authors (offset paging, a name argument, no order), memberships (a
// composite key userId+groupId, a Hasura-style `order_by: [{groupId: asc}]`,
// a filter with `or`, an aggregate count, null for group 3), grants (each
// naming a membership), issues (a connection ordered GitHub's way,
// `orderBy: {field: CREATED_AT, direction: DESC}`), labels (a nullable rank,
// ordered with null placements, `order_by: [{rank: asc_nulls_first}]`),
// tracks (Hasura's comparison objects, `where: {name: {_like: "A%"}}`
// with `_and`/`_or`/`_not`, `tracks_aggregate`, a jsonb `meta` and
// `insert_tracks_one`; at most 10 a call),
// albums (PostGraphile's `allAlbums` connection with a `condition` of
// values, a `filter` of comparison objects, `{title: {equalTo: ..}}`, and
// pg-aggregates' `aggregates { sum { year } }`), their mutations, and errors.
//
//   PORT=4000 NODE_PATH=tests/tools/node_modules node tests/graphql/server.cjs
//
// Prints `listening PORT` once it accepts connections. The schema is
// schema.graphql beside this file. Besides /graphql it answers
// /status500/graphql with a 500 and /slow/graphql after 3 s, so that the
// tests can point baas at a failing or slow upstream; the mutation
// createBook refuses a negative price with a GraphQL error
// (extensions.code BAD_USER_INPUT, HTTP 200). GET /_calls answers the
// GraphQL requests received since the last GET /_calls ({query, variables}
// each), so that the tests can count and read the calls baas made.
'use strict';

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { createSchema, createYoga } = require('graphql-yoga');
const { GraphQLError } = require('graphql');

const PAGE = 10;
const GENRES = ['FICTION', 'SCIENCE', 'HISTORY'];

const authors = [
  { id: '1', name: 'Ursula' },
  { id: '2', name: 'Carl' },
  { id: '3', name: 'Mary' },
];
const books = [];
for (let i = 1; i <= 25; i += 1) {
  books.push({
    id: String(i),
    title: `Book ${i}`,
    genre: GENRES[i % 3],
    price: i * 1.5,
    authorId: String((i % 3) + 1),
  });
}
const memberships = [];
for (let user = 1; user <= 3; user += 1) {
  for (let group = 1; group <= 3; group += 1) {
    memberships.push({ userId: String(user), groupId: String(group), role: `r${(user * 7 + group * 5) % 9}` });
  }
}
const grants = [];
for (let i = 1; i <= 6; i += 1) {
  grants.push({ id: String(i), userId: String((i % 3) + 1), groupId: String(((i + 1) % 3) + 1), scope: `s${i}` });
}
const issues = [];
for (let i = 1; i <= 15; i += 1) {
  const day = String(((i * 7) % 15) + 1).padStart(2, '0');
  issues.push({ id: String(i), title: `Issue ${String(16 - i).padStart(2, '0')}`, createdAt: `2024-01-${day}`, comments: i % 4 });
}
const labels = [];
for (let i = 1; i <= 12; i += 1) {
  labels.push({ id: String(i), name: `L${String(i).padStart(2, '0')}`, rank: i % 4 === 0 ? null : (i * 7) % 5 });
}
const tracks = [];
for (let i = 1; i <= 30; i += 1) {
  tracks.push({
    id: i,
    name: `${'ABC'[i % 3]}${String(i).padStart(2, '0')}`,
    milliseconds: i * 1000,
    album_id: i % 5 === 0 ? null : (i % 4) + 1,
    meta: { rank: (i * 7) % 11 },
  });
}
const albums = [];
for (let i = 1; i <= 24; i += 1) {
  albums.push({ id: i, title: `${'XY'[i % 2]}${String(i).padStart(2, '0')}`, year: i % 6 === 0 ? null : 1990 + i });
}
const calls = [];
let nextBook = books.length + 1;
let nextAuthor = authors.length + 1;

const byId = (rows, id) => rows.find((row) => row.id === String(id)) || null;

// Sorts rows by a list of {field: direction} objects, as the order
// arguments say (directions ASC/asc or DESC/desc, maybe with _nulls_first
// or _nulls_last; else nulls last ascending, first descending); numbers as
// numbers.
function sorted(rows, keys) {
  const order = (keys || []).flatMap((key) => Object.entries(key));
  return [...rows].sort((a, b) => {
    for (const [field, direction] of order) {
      const lower = direction.toLowerCase();
      const desc = lower.startsWith('desc');
      const nullsFirst = lower.endsWith('_nulls_first') || (desc && !lower.endsWith('_nulls_last'));
      const [x, y] = [a[field], b[field]];
      if (x == null || y == null) {
        if (x == null && y == null) continue;
        return (x == null) === nullsFirst ? -1 : 1;
      }
      const compared = x < y ? -1 : x > y ? 1 : 0;
      if (compared !== 0) return desc ? -compared : compared;
    }
    return 0;
  });
}

// A Relay connection's page of `rows`: `first` after cursor `after` (an id).
function connection(rows, first, after) {
  let start = 0;
  if (after != null) {
    start = rows.findIndex((row) => row.id === after) + 1;
    if (start === 0) throw badInput(`unknown cursor ${after}`);
  }
  const size = Math.min(first == null ? PAGE : first, PAGE);
  const page = rows.slice(start, start + size);
  return {
    edges: page.map((node) => ({ cursor: node.id, node })),
    pageInfo: {
      hasNextPage: start + size < rows.length,
      endCursor: page.length ? page[page.length - 1].id : null,
    },
  };
}

const membershipKey = (row, { userId, groupId }) =>
  row.userId === String(userId) && row.groupId === String(groupId);

function membershipMatches(row, where) {
  return (
    !where ||
    ((where.userId == null || row.userId === String(where.userId)) &&
      (where.groupId == null || row.groupId === String(where.groupId)) &&
      (where.or == null || where.or.some((any) => membershipMatches(row, any))))
  );
}

function membershipsWhere(where) {
  return memberships.filter((row) => membershipMatches(row, where));
}

// Whether `row` matches comparison objects `where` ({field: {op: value}},
// logical keys among them), `spell` naming the operators: Hasura's
// (`_eq`, `_and`) or PostGraphile's (`equalTo`, `and`).
const HASURA = {
  eq: '_eq', neq: '_neq', gt: '_gt', gte: '_gte', lt: '_lt', lte: '_lte', in: '_in', nin: '_nin',
  like: '_like', ilike: '_ilike', isNull: '_is_null', and: '_and', or: '_or', not: '_not',
};
const POSTGRAPHILE = {
  eq: 'equalTo', neq: 'notEqualTo', gt: 'greaterThan', gte: 'greaterThanOrEqualTo', lt: 'lessThan',
  lte: 'lessThanOrEqualTo', in: 'in', nin: 'notIn', like: 'like', ilike: 'likeInsensitive',
  isNull: 'isNull', and: 'and', or: 'or', not: 'not',
};
const likeRegex = (pattern, flags) =>
  new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, flags);

function compares(row, where, spell) {
  if (!where) return true;
  return Object.entries(where).every(([key, condition]) => {
    if (key === spell.and) return condition.every((each) => compares(row, each, spell));
    if (key === spell.or) return condition.some((each) => compares(row, each, spell));
    if (key === spell.not) return !compares(row, condition, spell);
    const value = row[key];
    return Object.entries(condition).every(([op, operand]) => {
      if (op === spell.isNull) return (value == null) === operand;
      if (value == null) return false;
      switch (op) {
        case spell.eq: return value === operand;
        case spell.neq: return value !== operand;
        case spell.gt: return value > operand;
        case spell.gte: return value >= operand;
        case spell.lt: return value < operand;
        case spell.lte: return value <= operand;
        case spell.in: return operand.includes(value);
        case spell.nin: return !operand.includes(value);
        case spell.like: return likeRegex(operand, '').test(value);
        case spell.ilike: return likeRegex(operand, 'i').test(value);
        default: throw badInput(`unknown operator ${op}`);
      }
    });
  });
}

// PostGraphile's enum orders: [TITLE_DESC] is {title: 'DESC'}.
const enumOrder = (values) =>
  (values || [])
    .filter((value) => value !== 'NATURAL')
    .map((value) => {
      const [, field, direction] = value.match(/^(.*)_(ASC|DESC)$/);
      return { [field.toLowerCase()]: direction };
    });

function badInput(message) {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

const resolvers = {
  Query: {
    books(_, { where, first, after, orderBy }) {
      let rows = books.filter(
        (book) =>
          (!where || where.genre == null || book.genre === where.genre) &&
          (!where || where.authorId == null || book.authorId === String(where.authorId)),
      );
      rows = sorted(rows, orderBy ? [orderBy] : []);
      return {
        ...connection(rows, first, after),
        totalCount: where && String(where.authorId) === '3' ? null : rows.length,
      };
    },
    book: (_, { id }) => byId(books, id),
    authors(_, { name, limit, offset }) {
      const rows = authors.filter((author) => name == null || author.name === name);
      const start = offset || 0;
      return rows.slice(start, limit == null ? undefined : start + limit);
    },
    author: (_, { id }) => byId(authors, id),
    memberships(_, { where, limit, offset, order_by: orderBy }) {
      const rows = sorted(membershipsWhere(where), orderBy);
      const start = offset || 0;
      return rows.slice(start, limit == null ? undefined : start + limit);
    },
    membershipsAggregate: (_, { where }) => ({
      aggregate: { count: where && String(where.groupId) === '3' ? null : membershipsWhere(where).length },
    }),
    membership: (_, key) => memberships.find((row) => membershipKey(row, key)) || null,
    grants: () => grants,
    grant: (_, { id }) => byId(grants, id),
    issues(_, { first, after, orderBy }) {
      const field = orderBy && orderBy.field.toLowerCase().replace(/_(.)/g, (_, c) => c.toUpperCase());
      return connection(sorted(issues, orderBy ? [{ [field]: orderBy.direction }] : []), first, after);
    },
    issue: (_, { id }) => byId(issues, id),
    labels(_, { limit, offset, order_by: orderBy }) {
      const rows = sorted(labels, orderBy);
      const start = offset || 0;
      return rows.slice(start, limit == null ? undefined : start + limit);
    },
    label: (_, { id }) => byId(labels, id),
    tracks(_, { where, limit, offset, order_by: orderBy }) {
      const rows = sorted(tracks.filter((row) => compares(row, where, HASURA)), orderBy);
      const start = offset || 0;
      return rows.slice(start, start + Math.min(limit == null ? PAGE : limit, PAGE));
    },
    tracks_aggregate: (_, { where }) => ({
      aggregate: { count: tracks.filter((row) => compares(row, where, HASURA)).length },
    }),
    tracks_by_pk: (_, { id }) => tracks.find((row) => row.id === id) || null,
    allAlbums(_, { first, after, condition, filter, orderBy }) {
      const rows = sorted(
        albums.filter(
          (row) =>
            Object.entries(condition || {}).every(([field, value]) => row[field] === value) &&
            compares(row, filter, POSTGRAPHILE),
        ),
        enumOrder(orderBy),
      );
      const page = connection(
        rows.map((row) => ({ ...row, id: String(row.id) })),
        first,
        after,
      );
      const back = (node) => ({ ...node, id: Number(node.id) });
      const edges = page.edges.map((edge) => ({ cursor: edge.cursor, node: back(edge.node) }));
      return {
        edges,
        nodes: edges.map((edge) => edge.node),
        pageInfo: page.pageInfo,
        totalCount: rows.length,
        aggregates: { sum: { year: rows.reduce((sum, row) => sum + (row.year || 0), 0) } },
      };
    },
    album: (_, { id }) => albums.find((row) => row.id === id) || null,
  },
  Mutation: {
    createBook(_, { input }) {
      if (input.price != null && input.price < 0) throw badInput('price must not be negative');
      if (!byId(authors, input.authorId)) throw badInput(`no author ${input.authorId}`);
      const book = { id: String(nextBook), price: null, ...input, authorId: String(input.authorId) };
      nextBook += 1;
      books.push(book);
      return book;
    },
    updateBook(_, { id, input }) {
      const book = byId(books, id);
      if (!book) return null;
      if (input.price != null && input.price < 0) throw badInput('price must not be negative');
      for (const [key, value] of Object.entries(input)) {
        if (value !== undefined) book[key] = key === 'authorId' ? String(value) : value;
      }
      return book;
    },
    deleteBook(_, { id }) {
      const index = books.findIndex((book) => book.id === String(id));
      if (index < 0) return false;
      books.splice(index, 1);
      return true;
    },
    createAuthor(_, { name }) {
      const author = { id: String(nextAuthor), name };
      nextAuthor += 1;
      authors.push(author);
      return author;
    },
    updateAuthor(_, { id, name }) {
      const author = byId(authors, id);
      if (author && name != null) author.name = name;
      return author;
    },
    deleteAuthor(_, { id }) {
      const index = authors.findIndex((author) => author.id === String(id));
      return index < 0 ? null : authors.splice(index, 1)[0];
    },
    createMembership(_, { input }) {
      if (memberships.some((row) => membershipKey(row, input))) {
        throw new GraphQLError('already a member', { extensions: { code: 'CONFLICT' } });
      }
      const row = { ...input, userId: String(input.userId), groupId: String(input.groupId) };
      memberships.push(row);
      return row;
    },
    updateMembership(_, { role, ...key }) {
      const row = memberships.find((other) => membershipKey(other, key));
      if (row && role != null) row.role = role;
      return row || null;
    },
    insert_tracks_one(_, { object }) {
      const row = { album_id: null, meta: null, ...object };
      tracks.push(row);
      return row;
    },
    deleteMembership(_, key) {
      const index = memberships.findIndex((row) => membershipKey(row, key));
      if (index < 0) return false;
      memberships.splice(index, 1);
      return true;
    },
  },
  Book: { author: (book) => byId(authors, book.authorId) },
  Author: { books: (author) => books.filter((book) => book.authorId === author.id) },
};

const yoga = createYoga({
  schema: createSchema({
    typeDefs: fs.readFileSync(path.join(__dirname, 'schema.graphql'), 'utf8'),
    resolvers,
  }),
  graphqlEndpoint: '/graphql',
  logging: false,
  plugins: [{ onParams: ({ params }) => calls.push({ query: params.query, variables: params.variables || {} }) }],
});

const server = http.createServer((request, response) => {
  if (request.url.startsWith('/status500/')) {
    response.writeHead(500, { 'content-type': 'application/json' });
    response.end('{"errors":[{"message":"database password is hunter2"}]}');
    return;
  }
  if (request.url === '/_calls') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(calls.splice(0)));
    return;
  }
  if (request.url.startsWith('/slow/')) {
    request.url = request.url.slice('/slow'.length);
    setTimeout(() => yoga(request, response), 3000);
    return;
  }
  yoga(request, response);
});

server.listen(Number(process.env.PORT || 4000), '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
