// The query engine's HTTP interface as prisma-client-py uses it (GET /status, POST / with a
// GraphQL query or a batch, POST /transaction/start|<id>/commit|<id>/rollback, GET /metrics),
// served on 127.0.0.1 and answered by Prisma's wasm query engine over @prisma/adapter-pg.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { loadTypeMap } from './datamodel.mjs';
import { datasourceUrl, poolOptions, redact } from './datasource.mjs';
import { withNamesAsText } from './pgnames.mjs';
import { translateAnswer, translateQuery, translationFailure } from './protocol.mjs';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const TRACE = '{}';

export function engineCommit() {
  const pkg = require('@prisma/query-engine-wasm/package.json');
  return pkg.version.split('.').pop();
}

async function loadWasmEngine() {
  // The engine draws randomness (transaction ids) from Web Crypto, which Node 18 (Debian
  // bookworm's) does not put on globalThis: without it the first transaction panics the engine.
  if (!globalThis.crypto || !globalThis.crypto.getRandomValues) {
    Object.defineProperty(globalThis, 'crypto', { value: (await import('node:crypto')).webcrypto, configurable: true });
  }
  const dir = path.dirname(require.resolve('@prisma/query-engine-wasm/package.json'));
  const bg = await import(path.join(dir, 'postgresql', 'query_engine_bg.js'));
  const bytes = fs.readFileSync(path.join(dir, 'postgresql', 'query_engine_bg.wasm'));
  const { instance } = await WebAssembly.instantiate(bytes, { './query_engine_bg.js': bg });
  bg.__wbg_set_wasm(instance.exports);
  return bg;
}

// The wasm engine answers a failed transaction call with a bare user-facing error
// ({is_panic, message, meta, error_code}); the native engine's HTTP interface, and so
// prisma-client-py, wants {errors: [{error, user_facing_error}]}, with `error` starting
// "Transaction already closed" for an expired transaction.
export function errorsOf(obj) {
  if (obj.errors) return { errors: obj.errors };
  if (obj.error || obj.user_facing_error) return { errors: [obj] };
  if (obj.error_code || obj.is_panic !== undefined) {
    return { errors: [{ error: (obj.meta && obj.meta.error) || obj.message, user_facing_error: obj }] };
  }
  return null;
}

function thrownError(err) {
  const message = String(err && err.message ? err.message : err);
  return { errors: [{ error: message, user_facing_error: { is_panic: false, message, meta: {} } }] };
}

export function rawAnswer(text, action, alias) {
  const prefix = `{"data":{"${action}":`;
  if ((action !== 'queryRaw' && action !== 'executeRaw') || !text.startsWith(prefix)) return null;
  return new RawJson(`{"data":{${JSON.stringify(alias)}:${text.slice(prefix.length)}`);
}

// An answer already in its final JSON text.
export class RawJson {
  constructor(text) {
    this.text = text;
  }
}

export class Bridge {
  constructor(engine, typeMap, logQueries = false) {
    this.engine = engine;
    this.typeMap = typeMap;
    this.logQueries = logQueries;
    this.inFlight = new Set();
  }

  // The engine's own call, with the request remembered while it runs: a panic inside the wasm
  // engine surfaces outside the call's promise, and the report names what was in flight.
  async callText(method, body, ...rest) {
    const entry = { method, body };
    this.inFlight.add(entry);
    try {
      return await this.engine[method](body, TRACE, ...rest);
    } finally {
      this.inFlight.delete(entry);
    }
  }

  async call(method, body, ...rest) {
    return JSON.parse(await this.callText(method, body, ...rest));
  }

  async one(gqlQuery, txId) {
    let translated;
    try {
      translated = translateQuery(gqlQuery, this.typeMap);
    } catch (err) {
      return translationFailure(err);
    }
    const body = JSON.stringify(translated.request);
    if (this.logQueries) process.stderr.write(`query-engine: ${gqlQuery}\n=> ${body}\n`);
    const text = await this.callText('query', body, txId);
    // Raw results carry Json columns as JSON values and no type tags: passed on as the engine
    // wrote them, so numbers JavaScript cannot hold exactly (beyond 2^53) stay exact.
    const raw = rawAnswer(text, translated.request.action, translated.alias);
    return raw ?? translateAnswer(JSON.parse(text), translated.alias);
  }

  async batch(body, txId) {
    const requests = [];
    const aliases = [];
    for (const item of body.batch) {
      try {
        const t = translateQuery(item.query, this.typeMap);
        requests.push(t.request);
        aliases.push(t.alias);
      } catch (err) {
        return translationFailure(err);
      }
    }
    const payload = { batch: requests };
    if (body.transaction) payload.transaction = typeof body.transaction === 'object' ? body.transaction : {};
    const answer = await this.call('query', JSON.stringify(payload), txId);
    if (answer.errors) return { errors: answer.errors };
    return { batchResult: (answer.batchResult || []).map((r, i) => translateAnswer(r, aliases[i])) };
  }

  async query(body, txId) {
    if (Array.isArray(body.batch)) return this.batch(body, txId);
    if (typeof body.query !== 'string') return translationFailure(new Error('the request has no query'));
    return this.one(body.query, txId);
  }

  async startTransaction(body) {
    const answer = await this.call('startTransaction', JSON.stringify(body));
    return errorsOf(answer) || (answer.id ? { id: answer.id } : errorsOf({ is_panic: false, message: `no transaction id in ${JSON.stringify(answer)}` }));
  }

  async endTransaction(id, verb) {
    const answer = await this.call(verb === 'commit' ? 'commitTransaction' : 'rollbackTransaction', id);
    return errorsOf(answer) || {};
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res, status, obj, type = 'application/json') {
  let body;
  if (typeof obj === 'string') body = obj;
  else if (obj instanceof RawJson) body = obj.text;
  else body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function handler(bridge) {
  return async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    try {
      if (req.method === 'GET' && url.pathname === '/status') return send(res, 200, { status: 'ok' });
      if (req.method === 'GET' && url.pathname === '/metrics') {
        // The wasm engine keeps no metrics; answer an empty set in the format asked for.
        return url.searchParams.get('format') === 'json'
          ? send(res, 200, { counters: [], gauges: [], histograms: [] })
          : send(res, 200, '', 'text/plain');
      }
      if (req.method !== 'POST') return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
      const text = await readBody(req);
      const body = text ? JSON.parse(text) : {};
      if (url.pathname === '/') {
        return send(res, 200, await bridge.query(body, req.headers['x-transaction-id'] || undefined));
      }
      if (url.pathname === '/transaction/start') return send(res, 200, await bridge.startTransaction(body));
      const m = /^\/transaction\/([^/]+)\/(commit|rollback)$/.exec(url.pathname);
      if (m) return send(res, 200, await bridge.endTransaction(decodeURIComponent(m[1]), m[2]));
      return send(res, 404, { error: `no route POST ${url.pathname}` });
    } catch (err) {
      return send(res, 200, thrownError(err));
    }
  };
}

function logCallback(line) {
  // Only warnings and errors: the engine's info logs would flood the proxy's output.
  try {
    const event = JSON.parse(line);
    if (event.level === 'warn' || event.level === 'error') process.stderr.write(`query-engine: ${line}\n`);
  } catch {
    process.stderr.write(`query-engine: ${line}\n`);
  }
}

function parseArgs(argv) {
  const opts = { port: 4466 };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--version' || a === '-V' || a === 'version') opts.version = true;
    else if (a === '-p' || a === '--port') opts.port = Number(argv[(i += 1)]);
    else if (a.startsWith('--port=')) opts.port = Number(a.slice(7));
  }
  return opts;
}

export async function main(argv, env = process.env) {
  const opts = parseArgs(argv);
  if (opts.version) {
    process.stdout.write(`query-engine ${engineCommit()}\n`);
    return;
  }
  if (!env.PRISMA_DML_PATH) throw new Error('PRISMA_DML_PATH (the Prisma schema) is not set');
  const schemaText = fs.readFileSync(env.PRISMA_DML_PATH, 'utf8');
  const cacheDir = env.LLMOPS_QE_TYPE_CACHE || path.join(HERE, '..', 'cache');
  const { typeMap, cached } = loadTypeMap(schemaText, cacheDir);
  if (!cached) process.stderr.write('query-engine: no type cache for this schema; computed it at start\n');

  const url = datasourceUrl(schemaText, env);
  const { options, schema } = poolOptions(url);
  const pg = require('pg');
  const { PrismaPg } = require('@prisma/adapter-pg');
  const { bindAdapter } = require('@prisma/driver-adapter-utils');
  const pool = new pg.Pool(options);
  // An idle connection dropped by the server must not take the process down.
  pool.on('error', (err) => process.stderr.write(`query-engine: idle connection to ${redact(url)} lost: ${err.message}\n`));
  const adapter = bindAdapter(withNamesAsText(new PrismaPg(pool, schema ? { schema } : undefined)));

  const bg = await loadWasmEngine();
  const engine = new bg.QueryEngine({ datamodel: schemaText, logLevel: 'warn', logQueries: false }, logCallback, adapter);
  await engine.connect(TRACE);

  // prisma-client-py sets LOG_QUERIES when the client is made with log_queries=True.
  const bridge = new Bridge(engine, typeMap, Boolean(env.LOG_QUERIES));
  // A panic leaves the wasm instance unusable: report it with what was in flight and exit, as the
  // native engine's process does; prisma-client-py's owner (LiteLLM) starts a new one.
  const die = (err) => {
    const inFlight = [...bridge.inFlight].map((e) => `${e.method} ${e.body}`).join('\n  ') || '(nothing)';
    process.stderr.write(`query-engine: engine failure: ${err && err.stack ? err.stack : err}\n  in flight: ${inFlight}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  const server = http.createServer(handler(bridge));
  server.keepAliveTimeout = 60000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    try {
      await engine.disconnect(TRACE);
      await pool.end();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
