// Field types of the Prisma schema, read from the DMMF of Prisma's own schema engine (wasm, same
// commit as the query engine). Computing the DMMF takes seconds and prisma-client-py gives the
// engine ten to answer, so the image builds a cache of it beside the engine, keyed by the schema's
// sha256; a schema without a cache entry (another LiteLLM build) is computed at start.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function schemaDigest(schemaText) {
  return crypto.createHash('sha256').update(schemaText).digest('hex');
}

// Only what the translation needs: per model, per field, its kind, type and list-ness.
export function typeMapFromDmmf(dmmf) {
  const models = {};
  for (const model of dmmf.datamodel.models) {
    const fields = {};
    for (const f of model.fields) {
      fields[f.name] = { kind: f.kind, type: f.type, isList: f.isList, isRequired: f.isRequired };
    }
    models[model.name] = fields;
  }
  return { models, enums: dmmf.datamodel.enums.map((e) => e.name) };
}

export function computeTypeMap(schemaText) {
  const schemaWasm = require('@prisma/prisma-schema-wasm');
  const dmmf = JSON.parse(schemaWasm.get_dmmf(JSON.stringify({ prismaSchema: schemaText })));
  return typeMapFromDmmf(dmmf);
}

export function cachePath(cacheDir, schemaText) {
  return path.join(cacheDir, `${schemaDigest(schemaText)}.json`);
}

export function loadTypeMap(schemaText, cacheDir) {
  const file = cacheDir ? cachePath(cacheDir, schemaText) : null;
  if (file && fs.existsSync(file)) {
    return { typeMap: JSON.parse(fs.readFileSync(file, 'utf8')), cached: true };
  }
  return { typeMap: computeTypeMap(schemaText), cached: false };
}

export function writeTypeMap(schemaText, cacheDir) {
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = cachePath(cacheDir, schemaText);
  fs.writeFileSync(file, JSON.stringify(computeTypeMap(schemaText)));
  return file;
}
