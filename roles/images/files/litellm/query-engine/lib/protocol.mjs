// Translation between the GraphQL protocol prisma-client-py speaks and the JSON protocol of
// Prisma's wasm query engine: requests go from a parsed GraphQL document to
// {modelName, action, query: {arguments, selection}}, answers come back with the root field renamed
// to the alias the client asked for and JSON-protocol type tags ({$type, value}) unwrapped into
// the plain values the GraphQL protocol returns (Json as its JSON text, BigInt and Decimal as
// strings, DateTime as ISO text).
import { parseDocument } from './graphql.mjs';

export class TranslationError extends Error {}

const MODEL_ACTIONS = [
  'findUnique', 'findFirst', 'findMany', 'createOne', 'createMany', 'updateOne', 'updateMany',
  'deleteOne', 'deleteMany', 'upsertOne', 'aggregate', 'groupBy',
];
const RAW_ACTIONS = new Set(['executeRaw', 'queryRaw']);
const OR_THROW = 'OrThrow';
// Arguments whose keys are the model's fields (or filter and write operators over them).
const MODEL_ARGUMENTS = new Set(['data', 'where', 'create', 'update', 'cursor', 'having']);
// Operators of a field filter whose value is not of the field's type.
const UNTYPED_OPERATORS = new Set(['mode', 'path', 'string_contains', 'string_starts_with', 'string_ends_with']);
const AGGREGATE_OPERATORS = new Set(['_count', '_sum', '_avg', '_min', '_max']);
const INT_FIELD = { kind: 'scalar', type: 'Int', isList: false };

export function parseRootField(name, typeMap) {
  if (RAW_ACTIONS.has(name)) return { action: name, model: null };
  for (const action of MODEL_ACTIONS) {
    if (!name.startsWith(action)) continue;
    let model = name.slice(action.length);
    let fullAction = action;
    if ((action === 'findUnique' || action === 'findFirst') && !typeMap.models[model] && model.endsWith(OR_THROW)) {
      model = model.slice(0, -OR_THROW.length);
      fullAction = action + OR_THROW;
    }
    if (!typeMap.models[model]) throw new TranslationError(`unknown model "${model}" in "${name}"`);
    return { action: fullAction, model };
  }
  throw new TranslationError(`unknown operation "${name}"`);
}

function numberValue(raw) {
  const n = Number(raw);
  if (/^-?[0-9]+$/.test(raw) && !Number.isSafeInteger(n)) return { $type: 'BigInt', value: raw };
  return n;
}

// A value where no field type applies (take, skip, orderBy, raw SQL and its parameters...).
export function plainValue(v) {
  switch (v.kind) {
    case 'string':
    case 'boolean':
    case 'enum':
      return v.value;
    case 'number':
      return numberValue(v.raw);
    case 'null':
      return null;
    case 'list':
      return v.items.map(plainValue);
    case 'object':
      return Object.fromEntries(v.fields.map(([k, item]) => [k, plainValue(item)]));
    default:
      throw new TranslationError(`unknown value kind ${v.kind}`);
  }
}

function integerText(v) {
  if (v.kind === 'string' && /^-?[0-9]+$/.test(v.value)) return v.value;
  if (v.kind === 'number' && /^-?[0-9]+$/.test(v.raw)) return v.raw;
  if (v.kind === 'number' && Number.isInteger(Number(v.raw))) return BigInt(Number(v.raw)).toString();
  throw new TranslationError(`expected an integer for a BigInt field, got ${v.raw ?? JSON.stringify(v.value)}`);
}

// A value of one field's type, tagged the way the JSON protocol wants it.
function typedLeaf(v, field, context) {
  if (v.kind === 'list') return v.items.map((item) => typedLeaf(item, field, context));
  if (v.kind === 'null') {
    // GraphQL's null on a Json field means SQL NULL; in the JSON protocol that is DbNull.
    if (field.type === 'Json' && context === 'data') return { $type: 'Enum', value: 'DbNull' };
    return null;
  }
  switch (field.type) {
    case 'Json':
      return { $type: 'Json', value: v.kind === 'string' ? v.value : JSON.stringify(plainValue(v)) };
    case 'BigInt':
      return { $type: 'BigInt', value: integerText(v) };
    case 'DateTime':
      return v.kind === 'string' ? { $type: 'DateTime', value: v.value } : plainValue(v);
    case 'Decimal':
      return { $type: 'Decimal', value: v.kind === 'number' ? v.raw : String(plainValue(v)) };
    case 'Bytes':
      return v.kind === 'string' ? { $type: 'Bytes', value: v.value } : plainValue(v);
    case 'Int':
    case 'Float':
      return v.kind === 'number' ? Number(v.raw) : plainValue(v);
    default:
      return plainValue(v);
  }
}

// The value given for a scalar field: itself, a list of them, or an object of operators
// (filters: equals, in, gt, not...; writes: set, increment, push...).
function fieldValue(v, field, context) {
  if (v.kind !== 'object') return typedLeaf(v, field, context);
  const out = {};
  for (const [op, item] of v.fields) {
    if (UNTYPED_OPERATORS.has(op)) out[op] = plainValue(item);
    else if (op === '_count') out[op] = fieldValue(item, INT_FIELD, context);
    else if (op === 'not' || AGGREGATE_OPERATORS.has(op)) out[op] = fieldValue(item, field, context);
    else out[op] = typedLeaf(item, field, context);
  }
  return out;
}

// A value whose object keys are fields of `model`, relation fields (whose values are about the
// related model) or operators that keep the model (AND, OR, NOT, connect, create, some...).
function modelValue(v, model, typeMap, context) {
  if (v.kind === 'list') return v.items.map((item) => modelValue(item, model, typeMap, context));
  if (v.kind !== 'object') return plainValue(v);
  const fields = typeMap.models[model];
  const out = {};
  for (const [key, item] of v.fields) {
    const field = fields[key];
    if (field && field.kind === 'object') out[key] = modelValue(item, field.type, typeMap, context);
    else if (field) out[key] = fieldValue(item, field, context);
    else out[key] = modelValue(item, model, typeMap, context);
  }
  return out;
}

function argumentsFor(args, model, typeMap) {
  const out = {};
  for (const [key, v] of args) {
    if (model && MODEL_ARGUMENTS.has(key)) {
      out[key] = modelValue(v, model, typeMap, key === 'where' || key === 'cursor' || key === 'having' ? 'filter' : 'data');
    } else {
      out[key] = plainValue(v);
    }
  }
  return out;
}

function selectionFor(fields, model, typeMap) {
  const out = {};
  for (const f of fields) {
    if (f.selection === null) {
      out[f.name] = true;
      continue;
    }
    const field = model ? typeMap.models[model][f.name] : undefined;
    const related = field && field.kind === 'object' ? field.type : null;
    // Aggregates (_count { _all }, _sum { spend }) select fields of the same model.
    const inner = related ?? (AGGREGATE_OPERATORS.has(f.name) ? model : null);
    out[f.name] = { arguments: argumentsFor(f.args, related, typeMap), selection: selectionFor(f.selection, inner, typeMap) };
  }
  return out;
}

// One GraphQL query text -> {request (JSON protocol), alias (the answer's root key)}.
export function translateQuery(text, typeMap) {
  const doc = parseDocument(text);
  if (doc.fields.length !== 1) throw new TranslationError(`expected one root field, got ${doc.fields.length}`);
  const root = doc.fields[0];
  const { action, model } = parseRootField(root.name, typeMap);
  const query = { arguments: argumentsFor(root.args, model, typeMap), selection: selectionFor(root.selection || [], model, typeMap) };
  const request = model ? { modelName: model, action, query } : { action, query };
  return { request, alias: root.alias || root.name };
}

export function unwrapTags(v) {
  if (Array.isArray(v)) return v.map(unwrapTags);
  if (v === null || typeof v !== 'object') return v;
  if (typeof v.$type === 'string' && 'value' in v && Object.keys(v).length === 2) {
    return v.$type === 'Json' || typeof v.value !== 'object' ? v.value : unwrapTags(v.value);
  }
  const out = {};
  for (const [k, item] of Object.entries(v)) out[k] = unwrapTags(item);
  return out;
}

// A JSON-protocol answer to one query -> the GraphQL-protocol answer under `alias`.
export function translateAnswer(answer, alias) {
  if (answer.errors) return { errors: answer.errors };
  const data = answer.data || {};
  const keys = Object.keys(data);
  return { data: { [alias]: keys.length ? unwrapTags(data[keys[0]]) : null } };
}

export function translationFailure(err) {
  const message = `could not translate the query: ${err.message}`;
  return {
    errors: [{ error: message, user_facing_error: { is_panic: false, message, meta: {}, error_code: 'P2009' } }],
  };
}
