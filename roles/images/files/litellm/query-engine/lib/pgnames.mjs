// @prisma/adapter-pg 5.17 knows no column of Postgres' `name` type, so a raw query returning one
// fails ("Failed to deserialize column of type 'Unknown'"); LiteLLM's start-up view check returns
// ARRAY_AGG(viewname), a name[]. `name` is text to every reader: such columns are handed to the
// engine as text and text[], as a native engine reads them.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const NAME_OID = 19;
export const NAME_ARRAY_OID = 1003;
export const TEXT_OID = 25;
export const TEXT_ARRAY_OID = 1009;

function parseTextArray(value) {
  if (typeof value !== 'string') return value;
  return require('postgres-array').parse(value);
}

export function namesAsText(result) {
  const arrays = [];
  result.fields.forEach((field, i) => {
    if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
    else if (field.dataTypeID === NAME_ARRAY_OID) {
      field.dataTypeID = TEXT_ARRAY_OID;
      arrays.push(i);
    }
  });
  if (arrays.length) {
    for (const row of result.rows) for (const i of arrays) if (row[i] !== null) row[i] = parseTextArray(row[i]);
  }
  return result;
}

function wrapQueryable(queryable) {
  const performIO = queryable.performIO.bind(queryable);
  queryable.performIO = async (query) => {
    const res = await performIO(query);
    return res.ok ? res.map(namesAsText) : res;
  };
  return queryable;
}

// The adapter and every transaction it opens.
export function withNamesAsText(adapter) {
  wrapQueryable(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (...args) => {
    const res = await startTransaction(...args);
    return res.ok ? res.map(wrapQueryable) : res;
  };
  return adapter;
}
