// Applies LiteLLM's Prisma migrations (DIR/<timestamp>_<name>/migration.sql) to PostgreSQL and
// records them in _prisma_migrations exactly as `prisma migrate deploy` does, for hosts where
// Prisma's schema engine is not available. Prisma itself can take over the same database later.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Client } = require('pg');

const USAGE = 'usage: migrate.js plan|apply [--migrations DIR] [--retry-failed]';

// Prisma Migrate's own key, so this program and `prisma migrate deploy` also exclude each other.
const LOCK_KEY = 72707369;
// Prisma gives up after 10 s; a LiteLLM upgrade can build indexes CONCURRENTLY for much longer.
const LOCK_WAIT_MS = 15 * 60 * 1000;
const LOCK_POLL_MS = 500;
const DEFAULT_CONNECT_TIMEOUT_S = 10;

// Verbatim from prisma-engines (postgres flavour of its SQL schema connector), so that a later
// `prisma migrate` finds the very table it would have created.
const MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`;

// Prisma does not count PostGIS's table when it decides whether a schema is empty.
const IGNORED_TABLES = /^spatial_ref_sys$/i;

// Parameters of Prisma's URL that mean nothing to a single pg connection.
const PRISMA_ONLY_PARAMS = new Set([
  'connection_limit',
  'pool_timeout',
  'statement_cache_size',
  'pgbouncer',
  'socket_timeout',
  'max_connection_lifetime',
  'max_idle_connection_lifetime',
  'channel_binding',
]);
const HANDLED_PARAMS = new Set([
  'host',
  'schema',
  'connect_timeout',
  'sslmode',
  'sslaccept',
  'sslcert',
  'sslidentity',
  'sslpassword',
  'application_name',
  'options',
]);
const SSL_REFUSED = 'The server does not support SSL connections';

// Every secret met while reading the URL; redact() blanks them in anything printed or stored.
const secrets = new Set();

class Fail extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

function redact(text) {
  let out = String(text).replace(/(postgres(?:ql)?:\/\/)[^@\s/]*@/gi, '$1***@');
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

function warn(message) {
  process.stderr.write(`migrate.js: warning: ${redact(message)}\n`);
}

function parseArgs(argv, env) {
  const args = { command: null, dir: env.LITELLM_MIGRATIONS_DIR, retryFailed: false, help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') args.help = true;
    else if (arg === '--retry-failed') args.retryFailed = true;
    else if (arg === '--migrations') {
      if (i + 1 >= argv.length) throw new Fail(`--migrations needs a directory\n${USAGE}`, 2);
      args.dir = argv[(i += 1)];
    } else if (arg.startsWith('--migrations=')) args.dir = arg.slice('--migrations='.length);
    else if (!args.command && (arg === 'plan' || arg === 'apply')) args.command = arg;
    else throw new Fail(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`, 2);
  }
  if (args.help) return args;
  if (!args.command) throw new Fail(USAGE, 2);
  if (!args.dir) {
    throw new Fail(`no migrations directory: pass --migrations DIR or set LITELLM_MIGRATIONS_DIR\n${USAGE}`, 2);
  }
  if (args.retryFailed && args.command !== 'apply') {
    throw new Fail(`--retry-failed only goes with apply\n${USAGE}`, 2);
  }
  return args;
}

// Prisma orders migration folders by the bytes of their names, whatever the locale.
function byteOrder(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function listMigrations(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    const why = { ENOENT: 'does not exist', ENOTDIR: 'is not a directory' }[err.code] || err.message;
    throw new Fail(`migrations directory ${dir} ${why}`);
  }
  const names = entries
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort(byteOrder);
  if (names.length === 0) {
    throw new Fail(`migrations directory ${dir} holds no migration (no sub-folder with migration.sql)`);
  }
  return names.map((name) => readMigration(dir, name));
}

function readMigration(dir, name) {
  const bytes = fs.readFileSync(path.join(dir, name, 'migration.sql'));
  return { name, sql: bytes.toString('utf8'), checksum: sha256(bytes) };
}

function sha256(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

// Like Prisma, a checkout that only changed line endings (git on Windows) is not a modification.
function checksumMatches(migration, checksum) {
  if (migration.checksum === checksum) return true;
  const lf = migration.sql.replace(/\r\n/g, '\n');
  return sha256(lf) === checksum || sha256(migration.sql.replace(/\n/g, '\r\n')) === checksum;
}

function databaseUrl(env) {
  const file = env.DATABASE_URL_FILE;
  if (!file) {
    if (env.DATABASE_URL) return env.DATABASE_URL;
    throw new Fail('no database URL: set DATABASE_URL_FILE (a file holding it) or DATABASE_URL');
  }
  let text;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Fail(`cannot read DATABASE_URL_FILE ${file}: ${err.code || err.message}`);
  }
  if (!text) throw new Fail(`DATABASE_URL_FILE ${file} is empty`);
  return text;
}

// Prisma's URL keeps percent-encoded parts raw when they do not decode.
function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function rememberSecret(value) {
  if (value) secrets.add(value);
}

function connectionSettings(text) {
  rememberSecret(text);
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new Fail('the database URL is not a valid URL');
  }
  rememberSecret(url.password);
  rememberSecret(decode(url.password));
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new Fail(`the database URL must start with postgresql:// or postgres://, not ${url.protocol}//`);
  }
  const params = url.searchParams;
  ignoreUnusedParams(params);
  const host = params.get('host') || url.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = Number(url.port || 5432);
  const database = decode(url.pathname.replace(/^\//, ''));
  const ssl = sslSettings(params);
  const pg = {
    host,
    port,
    user: decode(url.username) || undefined,
    password: decode(url.password) || undefined,
    database: database || undefined,
    connectionTimeoutMillis: connectTimeoutSeconds(params) * 1000,
    ssl: ssl.options,
    application_name: params.get('application_name') || 'litellm-migrate',
    options: params.get('options') || undefined,
  };
  return {
    pg,
    sslPreferred: ssl.preferred,
    schema: params.get('schema') || 'public',
    label: `${host}:${port}/${database}`,
  };
}

function ignoreUnusedParams(params) {
  for (const name of new Set(params.keys())) {
    if (!HANDLED_PARAMS.has(name) && !PRISMA_ONLY_PARAMS.has(name)) {
      warn(`ignoring unknown database URL parameter ${name}`);
    }
  }
}

function connectTimeoutSeconds(params) {
  const value = params.get('connect_timeout');
  if (value === null) return DEFAULT_CONNECT_TIMEOUT_S;
  if (!/^\d+$/.test(value)) throw new Fail(`connect_timeout in the database URL must be whole seconds, not ${value}`);
  // 0 means no timeout, for Prisma and for pg alike.
  return Number(value);
}

// Prisma's TLS semantics: sslmode prefer (the default) falls back to plain text when the server
// has no TLS, and certificates are only verified with sslaccept=strict. Of the libpq modes Prisma
// does not know, allow stays in plain text and verify-ca and verify-full verify as named.
function sslSettings(params) {
  const mode = params.get('sslmode') || 'prefer';
  const accept = params.get('sslaccept') || 'accept_invalid_certs';
  rememberSecret(params.get('sslpassword'));
  if (mode === 'disable' || mode === 'allow') return { options: false, preferred: false };
  if (!['prefer', 'require', 'verify-ca', 'verify-full'].includes(mode)) {
    const known = 'disable, allow, prefer, require, verify-ca, verify-full';
    throw new Fail(`unsupported sslmode ${mode} in the database URL (one of ${known})`);
  }
  const options = { rejectUnauthorized: mode.startsWith('verify-') || accept !== 'accept_invalid_certs' };
  if (mode === 'verify-ca') options.checkServerIdentity = () => undefined;
  if (params.get('sslcert')) options.ca = readTlsFile('sslcert', params.get('sslcert'));
  if (params.get('sslidentity')) {
    options.pfx = readTlsFile('sslidentity', params.get('sslidentity'));
    options.passphrase = params.get('sslpassword') || undefined;
  }
  return { options, preferred: mode === 'prefer' };
}

function readTlsFile(param, file) {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Fail(`cannot read ${param} file ${file}: ${err.code || err.message}`);
  }
}

// Node 20 reports a failed connection to a name with several addresses as an AggregateError
// whose own message is empty.
function reason(err) {
  const inner = Array.isArray(err.errors) ? err.errors.map((e) => e.message).join('; ') : '';
  return err.message || inner || err.code || String(err);
}

async function openClient(config) {
  const client = new Client(config);
  // A dropped connection also fails the query in flight or the next one, which reports it.
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function connect(settings) {
  let client;
  try {
    client = await openClient(settings.pg);
  } catch (err) {
    if (!(settings.sslPreferred && err.message === SSL_REFUSED)) throw cannotConnect(settings, err);
    client = await openClient({ ...settings.pg, ssl: false }).catch((plainErr) => {
      throw cannotConnect(settings, plainErr);
    });
  }
  // Unqualified names in the migrations must land in the URL's schema, as they do under Prisma.
  await client.query(`SET search_path = ${quoteIdent(settings.schema)}`);
  return client;
}

function cannotConnect(settings, err) {
  const seconds = settings.pg.connectionTimeoutMillis / 1000;
  // pg's own words for its connectionTimeoutMillis firing.
  const why = err.message === 'timeout expired' ? `no answer within ${seconds} s (connect_timeout)` : reason(err);
  return new Fail(`cannot connect to database ${settings.label}: ${why}`);
}

function quoteIdent(name) {
  return `"${name.replace(/"/g, '""')}"`;
}

async function tablesIn(client, schema) {
  const { rows } = await client.query(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [schema],
  );
  return rows.map((row) => row.relname);
}

async function readHistory(client, schema) {
  if (!(await tablesIn(client, schema)).includes('_prisma_migrations')) return [];
  const { rows } = await client.query(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at
       FROM ${quoteIdent(schema)}._prisma_migrations ORDER BY started_at`,
  );
  return rows;
}

// Prisma's view of the history: rolled-back rows do not count, a live row without finished_at
// is a failed migration (even one no longer in DIR), and a migration with no live row is pending.
function classify(migrations, rows) {
  const live = rows.filter((row) => row.rolled_back_at === null);
  const failedRows = live.filter((row) => row.finished_at === null);
  const state = { applied: [], pending: [], modified: [], failedRows };
  for (const migration of migrations) {
    const records = live.filter((row) => row.migration_name === migration.name);
    const finished = records.filter((row) => row.finished_at !== null);
    if (records.length === 0) state.pending.push(migration);
    if (finished.length === 0) continue;
    state.applied.push(migration);
    if (!finished.some((row) => checksumMatches(migration, row.checksum))) state.modified.push(migration);
  }
  return state;
}

function uniqueNames(rows) {
  return [...new Set(rows.map((row) => row.migration_name))];
}

function names(migrations) {
  return migrations.map((migration) => migration.name);
}

async function plan(client, settings, migrations) {
  const state = classify(migrations, await readHistory(client, settings.schema));
  return {
    applied: state.applied.length,
    pending: names(state.pending),
    failed: uniqueNames(state.failedRows),
    modified: names(state.modified),
  };
}

// Polls instead of waiting in pg_advisory_lock(): a session blocked there is inside a transaction,
// and the holder's CREATE INDEX CONCURRENTLY waits for every open transaction, so the two would
// deadlock (as two `prisma migrate deploy` runs can).
async function acquireLock(client) {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt += 1) {
    const { rows } = await client.query(`SELECT pg_try_advisory_lock(${LOCK_KEY}) AS locked`);
    if (rows[0].locked) return;
    const minutes = LOCK_WAIT_MS / 60000;
    if (Date.now() >= deadline) throw new Fail(`gave up after ${minutes} min waiting for advisory lock ${LOCK_KEY}`);
    if (attempt === 0) warn(`another migration run holds advisory lock ${LOCK_KEY}; waiting up to ${minutes} min`);
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

async function ensureSchema(client, schema) {
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  // Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when it exists.
  if (rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
}

async function ensureHistoryTable(client, schema) {
  const tables = await tablesIn(client, schema);
  if (tables.includes('_prisma_migrations')) return;
  const foreign = tables.filter((name) => !IGNORED_TABLES.test(name));
  if (foreign.length > 0) {
    throw new Fail(
      `schema "${schema}" is not empty and has no _prisma_migrations table (Prisma P3005): ` +
        `${foreign.length} table(s), e.g. ${foreign.slice(0, 3).join(', ')}; ` +
        'baseline it (record the migrations it already has) before applying migrations',
    );
  }
  await client.query(MIGRATIONS_TABLE_DDL);
}

function refusal(failedRows) {
  const lines = failedRows.map((row) => {
    const logs = (row.logs || '').trim().split('\n').join('\n    ');
    return `  ${row.migration_name} (started ${row.started_at.toISOString()})${logs ? `:\n    ${logs}` : ''}`;
  });
  return (
    'refusing to apply: these migrations failed in an earlier run and are not rolled back (Prisma P3009):\n' +
    `${lines.join('\n')}\n` +
    'Repair what they left behind, then run apply --retry-failed: it marks them rolled back ' +
    'and applies them again.'
  );
}

async function markRolledBack(client, table, failedRows) {
  const ids = failedRows.map((row) => row.id);
  await client.query(`UPDATE ${table} SET rolled_back_at = now() WHERE id = ANY($1)`, [ids]);
}

// Like Prisma's logs column: enough to diagnose the failure without the migration at hand.
function failureLogs(migration, err) {
  const lines = [`Migration name: ${migration.name}`, '', `Database error code: ${err.code || 'none'}`, ''];
  lines.push('Database error:', err.message);
  // Postgres gives a character offset into the whole file; a line number is what a reader needs.
  if (err.position) lines.push(`Line: ${migration.sql.slice(0, Number(err.position) - 1).split('\n').length}`);
  if (err.detail) lines.push(`DETAIL: ${err.detail}`);
  if (err.hint) lines.push(`HINT: ${err.hint}`);
  return redact(lines.join('\n'));
}

async function applyMigration(client, table, migration) {
  const id = crypto.randomUUID();
  await client.query(
    `INSERT INTO ${table} (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`,
    [id, migration.checksum, migration.name],
  );
  try {
    // One simple-protocol query, as Prisma sends it: the server runs a multi-statement file as one
    // implicit transaction, and a lone CREATE INDEX CONCURRENTLY outside any transaction block.
    await client.query(migration.sql);
  } catch (err) {
    const unrecorded = await client
      .query(`UPDATE ${table} SET logs = $1 WHERE id = $2`, [failureLogs(migration, err), id])
      .then(
        () => '',
        (recordErr) => ` (recording the failure failed too: ${reason(recordErr)})`,
      );
    throw new Fail(`migration ${migration.name} failed: ${reason(err)}${unrecorded}`);
  }
  await client.query(
    `UPDATE ${table} SET applied_steps_count = applied_steps_count + 1, finished_at = now() WHERE id = $1`,
    [id],
  );
}

async function apply(client, settings, migrations, retryFailed) {
  const table = `${quoteIdent(settings.schema)}._prisma_migrations`;
  await acquireLock(client);
  await ensureSchema(client, settings.schema);
  await ensureHistoryTable(client, settings.schema);
  let state = classify(migrations, await readHistory(client, settings.schema));
  if (state.failedRows.length > 0) {
    if (!retryFailed) throw new Fail(refusal(state.failedRows));
    await markRolledBack(client, table, state.failedRows);
    state = classify(migrations, await readHistory(client, settings.schema));
  }
  for (const migration of state.modified) {
    warn(`migration ${migration.name} was applied, but its migration.sql changed since; not applying it again`);
  }
  const appliedNow = [];
  for (const migration of state.pending) {
    await applyMigration(client, table, migration);
    appliedNow.push(migration.name);
  }
  return { applied_now: appliedNow, already: state.applied.length };
}

async function main(argv, env) {
  const startedAt = Date.now();
  const args = parseArgs(argv, env);
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const migrations = listMigrations(args.dir);
  const settings = connectionSettings(databaseUrl(env));
  const client = await connect(settings);
  let result;
  try {
    if (args.command === 'plan') result = await plan(client, settings, migrations);
    else result = await apply(client, settings, migrations, args.retryFailed);
  } finally {
    // Ending the session also releases the advisory lock.
    await client.end().catch(() => {});
  }
  if (args.command === 'apply') result.seconds = (Date.now() - startedAt) / 1000;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main(process.argv.slice(2), process.env).catch((err) => {
  // Programming errors keep their stack; failures and database errors speak for themselves.
  const known = err instanceof Fail || err.code !== undefined;
  process.stderr.write(`migrate.js: ${redact(known ? err.message : err.stack || err)}\n`);
  process.exitCode = err instanceof Fail ? err.exitCode : 1;
});
