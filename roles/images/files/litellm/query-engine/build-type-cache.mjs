// Image build step: writes the field-type cache for the schema the engine will be given, so the
// engine answers prisma-client-py's status check at once instead of computing the DMMF first.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { writeTypeMap } from './lib/datamodel.mjs';

const [schemaPath] = process.argv.slice(2);
if (!schemaPath) {
  process.stderr.write('usage: build-type-cache.mjs SCHEMA.prisma\n');
  process.exit(2);
}
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cache');
process.stdout.write(`${writeTypeMap(fs.readFileSync(schemaPath, 'utf8'), dir)}\n`);
