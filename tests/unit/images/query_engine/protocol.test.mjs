// Unit tests of the GraphQL -> JSON protocol translation (roles/images/files/litellm/query-engine).
// The GraphQL texts are in the exact layout prisma-client-py 0.15.0's query builder renders.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseDocument } from '../../../../roles/images/files/litellm/query-engine/lib/graphql.mjs';
import {
  parseRootField, translateAnswer, translateQuery, TranslationError, unwrapTags,
} from '../../../../roles/images/files/litellm/query-engine/lib/protocol.mjs';

const s = (type, extra = {}) => ({ kind: 'scalar', type, isList: false, isRequired: false, ...extra });
const rel = (type, isList = false) => ({ kind: 'object', type, isList, isRequired: false });
const TYPES = {
  models: {
    Key: {
      token: s('String'), spend: s('Float'), tpm_limit: s('BigInt'), metadata: s('Json'),
      models: s('String', { isList: true }), created_at: s('DateTime'), budget_id: s('String'),
      budget: rel('Budget'), status: { kind: 'enum', type: 'JobStatus', isList: false },
    },
    Budget: { budget_id: s('String'), max_budget: s('Float'), reset_at: s('DateTime'), keys: rel('Key', true), cost: s('Decimal') },
  },
  enums: ['JobStatus'],
};

test('parses the builder layout: alias, arguments, nested data, lists and selections', () => {
  const doc = parseDocument(`mutation {
  result: createOneKey
  (
    data: {
      token: "sk-\\"q\\" é"
      models: [
        "a",
        "b"
      ]
      tpm_limit: 9007199254740993
    }
  )
  {
    token
    budget {
      budget_id
    }
  }
}`);
  assert.equal(doc.operation, 'mutation');
  const [root] = doc.fields;
  assert.equal(root.alias, 'result');
  assert.equal(root.name, 'createOneKey');
  const data = root.args[0][1];
  assert.deepEqual(data.fields[0], ['token', { kind: 'string', value: 'sk-"q" é' }]);
  assert.deepEqual(data.fields[1][1].items.map((i) => i.value), ['a', 'b']);
  assert.deepEqual(data.fields[2][1], { kind: 'number', raw: '9007199254740993' });
  assert.deepEqual(root.selection.map((f) => f.name), ['token', 'budget']);
  assert.deepEqual(root.selection[1].selection.map((f) => f.name), ['budget_id']);
});

test('rejects what it cannot read, with the offset', () => {
  assert.throws(() => parseDocument('query { result: findManyKey('), /unexpected end/);
  assert.throws(() => parseDocument('subscription { x }'), /unsupported operation/);
  assert.throws(() => parseDocument('query { x } }'), /after the operation/);
  assert.throws(() => parseDocument('query { x(a: "open) }'), /unterminated string/);
});

test('root fields name the action and the model; OrThrow only where the model does not end so', () => {
  assert.deepEqual(parseRootField('findUniqueKeyOrThrow', TYPES), { action: 'findUniqueOrThrow', model: 'Key' });
  assert.deepEqual(parseRootField('findFirstKey', TYPES), { action: 'findFirst', model: 'Key' });
  assert.deepEqual(parseRootField('findUniqueKeyOrThrow', { models: { KeyOrThrow: {} } }), { action: 'findUnique', model: 'KeyOrThrow' });
  assert.deepEqual(parseRootField('aggregateBudget', TYPES), { action: 'aggregate', model: 'Budget' });
  assert.deepEqual(parseRootField('queryRaw', TYPES), { action: 'queryRaw', model: null });
  assert.throws(() => parseRootField('findManyNope', TYPES), TranslationError);
  assert.throws(() => parseRootField('dropEverything', TYPES), /unknown operation/);
});

test('data values are tagged by field type: Json text, BigInt beyond 2^53, DateTime, Decimal', () => {
  const { request, alias } = translateQuery(`mutation {
  result: createOneKey
  (
    data: {
      token: "sk-1"
      metadata: "{\\"team\\": \\"a\\"}"
      tpm_limit: 9223372036854775807
      created_at: "2026-12-01T00:00:00+00:00"
      spend: 1.5
      status: "queued"
      budget: {
        connectOrCreate: {
          where: { budget_id: "b1" }
          create: { budget_id: "b1", cost: 2.50, reset_at: "2026-12-31T00:00:00+00:00" }
        }
      }
    }
  )
  {
    token
  }
}`, TYPES);
  assert.equal(alias, 'result');
  assert.equal(request.modelName, 'Key');
  assert.equal(request.action, 'createOne');
  const data = request.query.arguments.data;
  assert.deepEqual(data.metadata, { $type: 'Json', value: '{"team": "a"}' });
  assert.deepEqual(data.tpm_limit, { $type: 'BigInt', value: '9223372036854775807' });
  assert.deepEqual(data.created_at, { $type: 'DateTime', value: '2026-12-01T00:00:00+00:00' });
  assert.equal(data.spend, 1.5);
  assert.equal(data.status, 'queued');
  const nested = data.budget.connectOrCreate;
  assert.deepEqual(nested.where, { budget_id: 'b1' });
  assert.deepEqual(nested.create.cost, { $type: 'Decimal', value: '2.50' });
  assert.deepEqual(nested.create.reset_at, { $type: 'DateTime', value: '2026-12-31T00:00:00+00:00' });
  assert.deepEqual(request.query.selection, { token: true });
});

test('null on a Json field writes SQL NULL (DbNull) but filters stay null', () => {
  const w = translateQuery('mutation { result: updateOneKey(where: { token: "t" } data: { metadata: null }) { token } }', TYPES);
  assert.deepEqual(w.request.query.arguments.data.metadata, { $type: 'Enum', value: 'DbNull' });
  const f = translateQuery('query { result: findManyKey(where: { budget_id: null }) { token } }', TYPES);
  assert.equal(f.request.query.arguments.where.budget_id, null);
});

test('filter and write operators keep the field type; Json path and string filters are plain', () => {
  const { request } = translateQuery(`mutation {
  result: updateManyKey
  (
    where: {
      OR: [
        { created_at: { gte: "2026-01-01T00:00:00+00:00", not: { equals: "2026-02-01T00:00:00+00:00" } } },
        { metadata: { path: ["team"], string_contains: "a", equals: "\\"x\\"" } },
        { token: { in: ["a", "b"], mode: "insensitive" } }
      ]
    }
    data: {
      tpm_limit: { increment: 5 }
      models: { push: "m" }
    }
  )
  {
    count
  }
}`, TYPES);
  const [a, b, c] = request.query.arguments.where.OR;
  assert.deepEqual(a.created_at.gte, { $type: 'DateTime', value: '2026-01-01T00:00:00+00:00' });
  assert.deepEqual(a.created_at.not.equals, { $type: 'DateTime', value: '2026-02-01T00:00:00+00:00' });
  assert.deepEqual(b.metadata.path, ['team']);
  assert.equal(b.metadata.string_contains, 'a');
  assert.deepEqual(b.metadata.equals, { $type: 'Json', value: '"x"' });
  assert.deepEqual(c.token, { in: ['a', 'b'], mode: 'insensitive' });
  assert.deepEqual(request.query.arguments.data.tpm_limit, { increment: { $type: 'BigInt', value: '5' } });
  assert.deepEqual(request.query.arguments.data.models, { push: 'm' });
});

test('includes become nested selections with arguments typed by the related model', () => {
  const { request } = translateQuery(`query {
  result: findUniqueBudget
  (
    where: {
      budget_id: "b"
    }
  )
  {
    budget_id
    keys(
      where: {
        created_at: {
          lt: "2026-12-01T00:00:00+00:00"
        }
      }
      take: 2
    )
    {
      token
    }
  }
}`, TYPES);
  assert.deepEqual(request.query.selection.keys, {
    arguments: { where: { created_at: { lt: { $type: 'DateTime', value: '2026-12-01T00:00:00+00:00' } } }, take: 2 },
    selection: { token: true },
  });
});

test('aggregates and group-by select inside the same model', () => {
  const count = translateQuery('query { result: aggregateKey(where: { token: "t" }) { _count { _all } } }', TYPES);
  assert.deepEqual(count.request.query.selection, { _count: { arguments: {}, selection: { _all: true } } });
  const group = translateQuery('query { result: groupByKey(by: ["budget_id"] orderBy: [{ budget_id: "asc" }]) { budget_id _sum { spend } } }', TYPES);
  assert.deepEqual(group.request.query.arguments, { by: ['budget_id'], orderBy: [{ budget_id: 'asc' }] });
  assert.deepEqual(group.request.query.selection._sum, { arguments: {}, selection: { spend: true } });
});

test('raw queries keep their SQL and JSON-encoded parameters as plain strings', () => {
  const { request } = translateQuery('mutation { result: queryRaw(query: "SELECT $1::text" parameters: "[\\"a\\", 1]") }', TYPES);
  assert.deepEqual(request, { action: 'queryRaw', query: { arguments: { query: 'SELECT $1::text', parameters: '["a", 1]' }, selection: {} } });
});

test('integers beyond 2^53 outside a typed field are not rounded', () => {
  const { request } = translateQuery('query { result: findManyKey(take: 9007199254740993) { token } }', TYPES);
  assert.deepEqual(request.query.arguments.take, { $type: 'BigInt', value: '9007199254740993' });
});

test('a BigInt field refuses a fraction instead of truncating it', () => {
  assert.throws(() => translateQuery('mutation { result: createOneKey(data: { tpm_limit: 1.5 }) { token } }', TYPES), /integer/);
});

test('answers come back under the alias with the JSON-protocol tags unwrapped', () => {
  const answer = {
    data: {
      findManyKey: [{
        token: 't', metadata: { $type: 'Json', value: '{"a":1}' }, tpm_limit: { $type: 'BigInt', value: '9223372036854775807' },
        created_at: { $type: 'DateTime', value: '2026-12-01T00:00:00.000Z' }, budget: { cost: { $type: 'Decimal', value: '2.5' } }, models: ['a'],
      }],
    },
  };
  assert.deepEqual(translateAnswer(answer, 'result'), {
    data: { result: [{ token: 't', metadata: '{"a":1}', tpm_limit: '9223372036854775807', created_at: '2026-12-01T00:00:00.000Z', budget: { cost: '2.5' }, models: ['a'] }] },
  });
  const errors = { errors: [{ error: 'x', user_facing_error: { error_code: 'P2002' } }] };
  assert.deepEqual(translateAnswer(errors, 'result'), errors);
  assert.deepEqual(unwrapTags({ $type: 'Json', value: 'null' }), 'null');
  assert.deepEqual(unwrapTags({ a: { $type: 'x', value: 1, other: 2 } }), { a: { $type: 'x', value: 1, other: 2 } });
});
