function (newDoc, oldDoc, userCtx, secObj) {
  // Cunyi's write rules for one village's database (village_app/domain/write_rules.py says
  // the same in Python; a test runs both on the same cases). county init fills in the
  // values below: the rules as JSON, the village this database holds, and the 9-digit code of
  // the township whose reviewers review it. ES5 only: older CouchDB JavaScript engines run it.
  var RULES = /*RULES*/null;
  var VILLAGE = /*VILLAGE*/null;
  var TOWNSHIP = /*TOWNSHIP*/null;

  function has(list, value) {
    for (var i = 0; i < list.length; i++) {
      if (list[i] === value) return true;
    }
    return false;
  }
  function refuse(code) {
    throw({forbidden: code + ': ' + RULES.reasons[code]});
  }
  function canonical(value) {
    if (value === undefined) return 'null';
    if (value === null || typeof value !== 'object') return JSON.stringify(value);
    if (Object.prototype.toString.call(value) === '[object Array]') {
      var items = [];
      for (var i = 0; i < value.length; i++) items.push(canonical(value[i]));
      return '[' + items.join(',') + ']';
    }
    var keys = [];
    for (var k in value) {
      if (Object.prototype.hasOwnProperty.call(value, k)) keys.push(k);
    }
    keys.sort();
    var parts = [];
    for (var j = 0; j < keys.length; j++) {
      parts.push(JSON.stringify(keys[j]) + ':' + canonical(value[keys[j]]));
    }
    return '{' + parts.join(',') + '}';
  }
  function content(doc) {
    var kept = {};
    for (var k in doc) {
      if (!Object.prototype.hasOwnProperty.call(doc, k)) continue;
      if (k.charAt(0) === '_' || has(RULES.derived_fields, k)) continue;
      kept[k] = doc[k];
    }
    return canonical(kept);
  }
  function isMapping(value) {
    return value !== null && typeof value === 'object' &&
      Object.prototype.toString.call(value) !== '[object Array]';
  }
  function sameEvidence(doc, old) {
    if (content(doc) !== content(old)) return false;
    var oldFiles = old._attachments || {};
    var newFiles = doc._attachments || {};
    if (!isMapping(oldFiles) || !isMapping(newFiles)) {
      return canonical(oldFiles) === canonical(newFiles);
    }
    for (var name in oldFiles) {
      if (!Object.prototype.hasOwnProperty.call(oldFiles, name)) continue;
      var stub = oldFiles[name];
      var kept = newFiles[name];
      if (!isMapping(kept) || !isMapping(stub)) return false;
      if (stub.digest && kept.digest !== stub.digest) return false;
    }
    return true;
  }
  function mayWriteType(doc, isAdmin) {
    if (doc.village !== VILLAGE) refuse('village_scope');
    if (has(RULES.village_types, doc.type)) {
      if (!isAdmin && !has(roles, 'village_' + VILLAGE)) refuse('village_writes_only');
      return;
    }
    if (has(RULES.county_types, doc.type)) {
      var reviewer = has(roles, RULES.county_reviewer_role) ||
        has(roles, 'township_' + TOWNSHIP);
      if (!isAdmin && !reviewer) refuse('county_writes_only');
      return;
    }
    refuse('unknown_type');
  }

  var roles = (userCtx && userCtx.roles) || [];
  var isAdmin = false;
  for (var r = 0; r < RULES.admin_roles.length; r++) {
    if (has(roles, RULES.admin_roles[r])) isAdmin = true;
  }
  if (!isMapping(newDoc)) refuse('not_a_document');
  var docid = String(newDoc._id || '');
  if (docid.indexOf('_design/') === 0) {
    if (!isAdmin) refuse('design_documents');
    return;
  }
  if (newDoc._deleted === true) {
    if (!oldDoc) return;
    if (has(RULES.evidence_types, oldDoc.type)) refuse('evidence_deleted');
    mayWriteType(oldDoc, isAdmin);
    return;
  }
  mayWriteType(newDoc, isAdmin);
  if (!oldDoc || oldDoc._deleted === true) {
    var name = userCtx ? userCtx.name : null;
    var authored = !has(RULES.twin_types, newDoc.type);
    if (authored && !isAdmin && (name === null || name === undefined || newDoc.created_by !== name)) {
      refuse('author');
    }
    return;
  }
  for (var f = 0; f < RULES.identity_fields.length; f++) {
    var field = RULES.identity_fields[f];
    if (canonical(newDoc[field]) !== canonical(oldDoc[field])) refuse('identity');
  }
  if (has(RULES.evidence_types, newDoc.type) && !sameEvidence(newDoc, oldDoc)) {
    refuse('evidence_changed');
  }
}
