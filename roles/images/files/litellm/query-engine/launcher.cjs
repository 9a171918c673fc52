#!/usr/bin/node
// Stands in for Prisma's query-engine binary (see lib/server.mjs). The file name is what
// /proc/<pid>/comm shows, which LiteLLM's orphan reaper matches on.
'use strict';
import('./lib/server.mjs')
  .then((m) => m.main(process.argv.slice(2)))
  .catch((err) => {
    process.stderr.write(`query-engine: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  });
