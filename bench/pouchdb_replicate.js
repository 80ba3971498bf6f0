// PouchDB's own replicator, for bench/replicate.py to compare against.
//
//   node bench/pouchdb_replicate.js push DOCS.ndjson REMOTE_URL BATCH_SIZE
//   node bench/pouchdb_replicate.js pull -            REMOTE_URL BATCH_SIZE
//
// push: load DOCS (one JSON document per line) into an in-memory PouchDB (not
// timed), then replicate it to REMOTE_URL. pull: replicate REMOTE_URL into a
// fresh in-memory PouchDB. Prints one JSON line: seconds, docs written, and
// the HTTP requests (and body bytes, where declared) counted by a wrapper around PouchDB's fetch.
// Needs `pouchdb` and `pouchdb-adapter-memory` from npm under
// .peer/pouchdb-bench (`make bench` installs them).
"use strict";

const fs = require("fs");
const path = require("path");

const modules = path.join(__dirname, "..", ".peer", "pouchdb-bench", "node_modules");
const PouchDB = require(path.join(modules, "pouchdb"));
PouchDB.plugin(require(path.join(modules, "pouchdb-adapter-memory")));

const [mode, docsFile, remoteUrl, batchArg] = process.argv.slice(2);
const batchSize = Number(batchArg || 100);

const traffic = { requests: 0, bytes_sent: 0, bytes_received: 0 };

function countingFetch(url, opts) {
  traffic.requests += 1;
  if (opts && opts.body) {
    traffic.bytes_sent += typeof opts.body === "string" ? Buffer.byteLength(opts.body) : opts.body.length || 0;
  }
  return PouchDB.fetch(url, opts).then((res) => {
    // Only the declared length: reading a clone of a large body stalls node-fetch
    // (its clones share one stream buffer). bench/replicate.py counts wire bytes anyway.
    traffic.bytes_received += Number(res.headers.get("content-length") || 0);
    return res;
  });
}

async function loadDocs(db, file) {
  const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  for (let i = 0; i < lines.length; i += 500) {
    await db.bulkDocs(lines.slice(i, i + 500).map((l) => JSON.parse(l)));
  }
  return lines.length;
}

async function main() {
  const local = new PouchDB(`bench-${mode}-${Date.now()}`, { adapter: "memory" });
  const remote = new PouchDB(remoteUrl, { fetch: countingFetch, skip_setup: true });
  if (mode === "push") {
    await loadDocs(local, docsFile);
  }
  const [source, target] = mode === "push" ? [local, remote] : [remote, local];
  const started = process.hrtime.bigint();
  const result = await PouchDB.replicate(source, target, { batch_size: batchSize });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    JSON.stringify({ seconds, docs_written: result.docs_written, docs_read: result.docs_read, ...traffic }) + "\n",
  );
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
