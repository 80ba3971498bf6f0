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

// CouchDB's replicator (and PouchDB's, which pouchdb-replicator runs for `_replicator`
// documents) asks for a selector-filtered feed as POST /db/_changes?filter=_selector with
// {"selector": ...} in the body. express-pouchdb 4.2.0 reads only `doc_ids` from that body,
// so the filter was looked up as a design document and answered 404. Hand the body's
// selector to PouchDB's changes(), which implements the _selector filter itself: the peer
// then serves selector-filtered replication as CouchDB does (a `_replicator` document with a
// selector, as `county init` writes for each village's public database).
const Module = require("module");
const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  const loaded = originalLoad.apply(this, arguments);
  let file = "";
  try {
    file = Module._resolveFilename(request, parent, isMain);
  } catch (err) {
    return loaded;
  }
  if (!/express-pouchdb[\\/]lib[\\/]routes[\\/]changes\.js$/.test(file)) return loaded;
  if (loaded.__cunyiSelector) return loaded;
  const patched = function (app) {
    const post = app.post;
    app.post = function (path, ...handlers) {
      if (path === "/:db/_changes") {
        const handler = handlers.pop();
        handlers.push(function (req, res, next) {
          if (req.body && req.body.selector && req.query.filter === "_selector") {
            req.query.selector = req.body.selector;
          }
          return handler(req, res, next);
        });
      }
      return post.call(this, path, ...handlers);
    };
    try {
      return loaded(app);
    } finally {
      app.post = post;
    }
  };
  patched.__cunyiSelector = true;
  return patched;
};

// pouchdb-validation 4.2.0 sets every incoming document's `_revisions` to the stored
// document's before it runs validate_doc_update. For a replicated revision (new_edits=false,
// whose `_revisions` is its history) that replaces the history with the stored one: the
// revision is then taken for one already there and silently dropped, answered 201 with no
// error. Every edit a laptop pushed into a database with validation rules was lost so. Give
// each such document its own history back once validated, as CouchDB keeps it.
const bulkDocsWrapperFile = /pouchdb-bulkdocs-wrapper[\\/]lib[\\/]index\.js$/;
const loadBeforeWrapper = Module._load;
Module._load = function (request, parent, isMain) {
  const loaded = loadBeforeWrapper.apply(this, arguments);
  let file = "";
  try {
    file = Module._resolveFilename(request, parent, isMain);
  } catch (err) {
    return loaded;
  }
  if (!bulkDocsWrapperFile.test(file) || loaded.__cunyiRevisions) return loaded;
  const patched = function (handler) {
    return loaded(function (doc, args) {
      const own = Object.prototype.hasOwnProperty.call(doc, "_revisions");
      const history = doc._revisions;
      const restore = function () {
        if (own) doc._revisions = history;
      };
      return handler(doc, args).then(
        function (value) {
          restore();
          return value;
        },
        function (err) {
          restore();
          throw err;
        }
      );
    });
  };
  patched.__cunyiRevisions = true;
  return patched;
};
