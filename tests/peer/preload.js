// Loaded with `node -r` before pouchdb-server. Two requests (an anonymous
// PUT /db once an admin exists, a _changes filter that does not exist) throw
// outside any handler in pouchdb-server 4.2.0 and would end the process; the
// test peer logs them and keeps serving instead.
process.on("uncaughtException", (err) => {
  console.error("[peer] uncaughtException:", err && err.stack ? err.stack : err);
});
process.on("unhandledRejection", (err) => {
  console.error("[peer] unhandledRejection:", err && err.stack ? err.stack : err);
});
