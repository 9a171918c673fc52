// Unit tests of the datasource URL handling of the query-engine stand-in.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { datasourceUrl, DatasourceError, poolOptions, redact } from '../../../../roles/images/files/litellm/query-engine/lib/datasource.mjs';

const SCHEMA = 'datasource client {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n';

test('OVERWRITE_DATASOURCES wins over the schema url', () => {
  const env = { OVERWRITE_DATASOURCES: '[{"name":"client","url":"postgresql://a@h/db"}]', DATABASE_URL: 'postgresql://b@h/db' };
  assert.equal(datasourceUrl(SCHEMA, env), 'postgresql://a@h/db');
});

test('the schema env() url is read from the environment, and a missing one is named', () => {
  assert.equal(datasourceUrl(SCHEMA, { DATABASE_URL: 'postgresql://b@h/db' }), 'postgresql://b@h/db');
  assert.throws(() => datasourceUrl(SCHEMA, {}), /DATABASE_URL/);
  assert.equal(datasourceUrl('datasource db {\n url = "postgresql://lit@h/x"\n}', {}), 'postgresql://lit@h/x');
  assert.throws(() => datasourceUrl('model A { id Int @id }', {}), DatasourceError);
});

test("Prisma's URL parameters become pool options and leave the URL", () => {
  const { options, schema } = poolOptions('postgresql://u:p%40ss@db:5432/litellm?connection_limit=7&pool_timeout=30&schema=lite&application_name=x');
  assert.equal(options.max, 7);
  assert.equal(options.connectionTimeoutMillis, 30000);
  assert.equal(schema, 'lite');
  assert.equal(options.options, '-c search_path=lite');
  assert.equal(options.connectionString, 'postgresql://u:p%40ss@db:5432/litellm?application_name=x');
});

test('defaults follow Prisma: cpus*2+1 connections, 10 s to get one', () => {
  const { options } = poolOptions('postgres://u@db/litellm');
  assert.ok(options.max >= 3);
  assert.equal(options.connectionTimeoutMillis, 10000);
  assert.throws(() => poolOptions('mysql://u@db/x'), /protocol/);
  assert.throws(() => poolOptions('not a url'), /not a valid URL/);
});

test('redacted URLs carry no credentials', () => {
  assert.equal(redact('postgresql://user:secret@db.internal:6543/litellm?x=1'), 'db.internal:6543/litellm');
  assert.equal(redact('postgresql://user:secret@db/litellm'), 'db:5432/litellm');
});
