function (newDoc, oldDoc, userCtx, secObj) {
  // A village's public database (village_<code>_public): what its kiosk reads. It accepts
  // only public twins whose every field is on the allow-list, at every depth, with the kind
  // the list names (village_app/domain/publicity.py says the same in Python, and the kiosk
  // runs that on everything it pulls; a test runs both on the same documents). Only the
  // county's publishing job (and administrators) write here; the kiosk only reads.
  // county init fills in the allow-list as JSON and the village this database is for.
  // ES5 only: older CouchDB JavaScript engines run it.
  var SCHEMA = /*SCHEMA*/null;
  var VILLAGE = /*VILLAGE*/null;

  function has(list, value) {
    for (var i = 0; i < list.length; i++) {
      if (list[i] === value) return true;
    }
    return false;
  }
  function refuse(code, field) {
    throw({forbidden: field ? code + ': ' + field : code});
  }
  function isMapping(value) {
    return value !== null && typeof value === 'object' &&
      Object.prototype.toString.call(value) !== '[object Array]';
  }
  function kindOk(kind, value) {
    if (value === null) return true;
    if (kind === 'text') return typeof value === 'string';
    if (kind === 'int') return typeof value === 'number' && Math.floor(value) === value;
    if (kind === 'flag') return typeof value === 'boolean';
    return false;
  }
  function checkValue(kind, value, path) {
    if (typeof kind === 'string') {
      if (!kindOk(kind, value)) refuse('kind', path);
      return;
    }
    if (value === null) return;
    if (kind.object) {
      checkFields(kind.object, value, path);
      return;
    }
    if (Object.prototype.toString.call(value) !== '[object Array]') refuse('kind', path);
    for (var i = 0; i < value.length; i++) checkFields(kind.list, value[i], path + '.' + i);
  }
  function checkFields(fields, value, path) {
    if (!isMapping(value)) refuse('kind', path);
    for (var key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      if (!Object.prototype.hasOwnProperty.call(fields, key)) refuse('field', path + '.' + key);
      checkValue(fields[key], value[key], path + '.' + key);
    }
  }

  var roles = (userCtx && userCtx.roles) || [];
  var writer = has(roles, '_admin') || has(roles, 'county_admin') ||
    has(roles, 'county_publisher');
  if (!writer) refuse('readers_only');
  if (!isMapping(newDoc)) refuse('not_a_document');
  var docid = newDoc._id;
  if (typeof docid !== 'string') refuse('design');
  if (docid.indexOf('_design/') === 0) {
    // Only administrators write design documents (county init installs this one).
    if (!has(roles, '_admin') && !has(roles, 'county_admin')) refuse('design');
    return;
  }
  if (docid.indexOf('_local/') === 0) refuse('design');
  var type = newDoc.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(SCHEMA.types, type)) {
    refuse('type');
  }
  if (newDoc.village !== VILLAGE) refuse('village');
  if (docid.indexOf(type + ':' + VILLAGE + ':') !== 0) refuse('id');
  var fields = SCHEMA.types[type];
  var bare = newDoc._deleted === true || newDoc.withdrawn === true;
  for (var key in newDoc) {
    if (!Object.prototype.hasOwnProperty.call(newDoc, key)) continue;
    if (has(SCHEMA.meta, key)) continue;
    if (Object.prototype.hasOwnProperty.call(SCHEMA.common, key)) {
      if (!kindOk(SCHEMA.common[key], newDoc[key])) refuse('kind', key);
    } else if (bare) {
      refuse('withdrawn', key);
    } else if (!Object.prototype.hasOwnProperty.call(fields, key)) {
      refuse('field', key);
    } else {
      checkValue(fields[key], newDoc[key], key);
    }
  }
}
