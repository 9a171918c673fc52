// Stands in for Prisma's query-engine binary (see lib/server.mjs). The image build prefixes it
// with `#!/usr/bin/node` as /opt/query-engine/query-engine: node started straight from that file
// shows "query-engine" in /proc/<pid>/comm, which LiteLLM's orphan reaper matches on.
'use strict';
import('./lib/server.mjs')
  .then((m) => m.main(process.argv.slice(2)))
  .catch((err) => {
    process.stderr.write(`query-engine: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  });
