function (newDoc, oldDoc, userCtx, secObj) {
  // A kiosk's inbox (kiosk_<code>_<account>_ratings): the one place its account writes. It
  // accepts only new, well-formed, anonymous 五心 ratings of this village's projects, each
  // saying it came from this kiosk (village_app/domain/services/public.py's
  // check_kiosk_rating says the same in Python; a test runs both on the same documents).
  // Nothing is ever changed or deleted here. county init fills in the village, the kiosk's
  // account and the vocabulary. ES5 only: older CouchDB JavaScript engines run it.
  var VILLAGE = /*VILLAGE*/null;
  var KIOSK = /*KIOSK*/null;
  var SPEC = /*SPEC*/null;

  function has(list, value) {
    for (var i = 0; i < list.length; i++) {
      if (list[i] === value) return true;
    }
    return false;
  }
  function refuse(code) {
    throw({forbidden: code});
  }
  function isMapping(value) {
    return value !== null && typeof value === 'object' &&
      Object.prototype.toString.call(value) !== '[object Array]';
  }
  function startsWith(text, head) {
    return typeof text === 'string' && text.indexOf(head) === 0;
  }

  var roles = (userCtx && userCtx.roles) || [];
  var admin = has(roles, '_admin') || has(roles, 'county_admin');
  var name = userCtx ? userCtx.name : null;
  if (!admin && name !== KIOSK) refuse('kiosk_only');
  if (!isMapping(newDoc)) refuse('not_a_document');
  var docid = newDoc._id;
  if (typeof docid !== 'string') refuse('design');
  if (docid.indexOf('_design/') === 0) {
    if (!admin) refuse('design');
    return;
  }
  if (docid.indexOf('_local/') === 0) refuse('design');
  if (newDoc._deleted === true) refuse('deleted');
  if (oldDoc && !oldDoc._deleted) refuse('evidence_changed');
  for (var key in newDoc) {
    if (!Object.prototype.hasOwnProperty.call(newDoc, key)) continue;
    if (!has(SPEC.fields, key) && !has(SPEC.meta, key)) refuse('field: ' + key);
  }
  if (newDoc.type !== SPEC.type) refuse('type');
  if (newDoc.village !== VILLAGE) refuse('village');
  if (!startsWith(docid, SPEC.type + ':' + VILLAGE + ':') || docid.length > 200) refuse('id');
  if (newDoc.source !== 'kiosk') refuse('source');
  if (newDoc.device !== KIOSK || newDoc.created_by !== KIOSK) refuse('device');
  var project = newDoc.project_id;
  if (!startsWith(project, SPEC.project + ':' + VILLAGE + ':') || project.length > 200) {
    refuse('project');
  }
  var scores = newDoc.scores;
  if (!isMapping(scores)) refuse('scores');
  var answered = 0;
  for (var heart in scores) {
    if (!Object.prototype.hasOwnProperty.call(scores, heart)) continue;
    var score = scores[heart];
    if (!has(SPEC.hearts, heart) || typeof score !== 'number' || !has(SPEC.scores, score)) {
      refuse('scores');
    }
    answered += 1;
  }
  if (answered === 0) refuse('scores');
  var day = newDoc.collected_on;
  if (typeof day !== 'string' || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(day)) refuse('date');
  if (typeof newDoc.created_at !== 'string' || newDoc.created_at.length > 40) refuse('date');
}
