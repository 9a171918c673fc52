// The database URL prisma-client-py hands the engine, and the pg pool settings it stands for.
// Prisma's own URL parameters (connection_limit, pool_timeout...) mean nothing to pg: they are
// taken off the URL and turned into pool options.
import os from 'node:os';

const PRISMA_ONLY = ['connection_limit', 'pool_timeout', 'connect_timeout', 'socket_timeout', 'schema',
  'pgbouncer', 'statement_cache_size', 'sslaccept', 'sslidentity', 'sslpassword', 'max_idle_connection_lifetime'];

export class DatasourceError extends Error {}

// OVERWRITE_DATASOURCES (set by prisma-client-py when given a datasource) wins over the schema's
// `url = env("...")` or literal url.
export function datasourceUrl(schemaText, env) {
  if (env.OVERWRITE_DATASOURCES) {
    const overrides = JSON.parse(env.OVERWRITE_DATASOURCES);
    if (Array.isArray(overrides) && overrides.length && overrides[0].url) return overrides[0].url;
  }
  const block = /datasource\s+\w+\s*\{([^}]*)\}/m.exec(schemaText);
  if (!block) throw new DatasourceError('the schema has no datasource block');
  const fromEnv = /\burl\s*=\s*env\(\s*"([^"]+)"\s*\)/.exec(block[1]);
  if (fromEnv) {
    const value = env[fromEnv[1]];
    if (!value) throw new DatasourceError(`environment variable ${fromEnv[1]} (the datasource url) is not set`);
    return value;
  }
  const literal = /\burl\s*=\s*"([^"]+)"/.exec(block[1]);
  if (!literal) throw new DatasourceError('the datasource block has no url');
  return literal[1];
}

// Prisma's default pool: num_cpus * 2 + 1 connections.
export function poolOptions(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatasourceError('the datasource url is not a valid URL');
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new DatasourceError(`unsupported datasource protocol ${parsed.protocol}`);
  }
  const p = parsed.searchParams;
  const num = (name, fallback) => (p.has(name) && p.get(name) !== '' ? Number(p.get(name)) : fallback);
  const max = num('connection_limit', os.cpus().length * 2 + 1);
  const poolTimeout = num('pool_timeout', 10);
  const connectTimeout = num('connect_timeout', 5);
  const schema = p.get('schema') || undefined;
  for (const name of PRISMA_ONLY) p.delete(name);
  const options = {
    connectionString: parsed.toString(),
    max: max > 0 ? max : 1,
    // pg has one timeout for "wait for a pool slot" and "connect"; 0 means none in both.
    connectionTimeoutMillis: Math.max(poolTimeout, connectTimeout) * 1000,
    idleTimeoutMillis: 300000,
  };
  if (schema) options.options = `-c search_path=${schema}`;
  return { options, schema };
}

export function redact(url) {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparsable url)';
  }
}
