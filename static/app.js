// Small glue for htmx; every page works without it.
// Errors that are not about a form field (403, 404, 409, 413) are swapped into the flash bar
// (the server retargets them there): show it. Server errors (5xx) are not swapped: say so,
// in the words the page brought along (data-server-error, translated on the server), with the
// status in place of %(status)s. No language lives in this file.
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.detail.target && event.detail.target.id === "flash") {
    event.detail.target.hidden = false;
  }
});
document.addEventListener("htmx:responseError", function (event) {
  var flash = document.getElementById("flash");
  if (!flash) return;
  flash.textContent = flash.dataset.serverError.replace("%(status)s", event.detail.xhr.status);
  flash.hidden = false;
});
document.addEventListener("htmx:beforeRequest", function (event) {
  var flash = document.getElementById("flash");
  // Live checks fire while typing; they should not hide a message the secretary is reading.
  if (flash && !event.detail.elt.classList.contains("live-result")) flash.hidden = true;
});
// The language switch returns to the page it was used on; after htmx pushed a filtered
// list's URL the server-rendered `next` is stale, so take the address bar's.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.classList && form.classList.contains("lang-switch")) {
    form.querySelector('input[name="next"]').value = location.pathname + location.search;
  }
});
// The notice's print button (no inline handlers: the pages forbid inline script).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
// Feedback around a save (issue 9 point 1). What the server sends back carries `autofocus`
// on what to look at: the summary of a form's errors, or the record just saved. After an
// htmx swap, bring it to the top of the screen and give it the focus (a page load without
// scripts does the same by itself, through autofocus and the address's #anchor).
document.documentElement.classList.add("js");
document.addEventListener("htmx:afterSettle", function () {
  var target = document.querySelector(".error-summary[autofocus], [data-saved][autofocus]");
  if (!target) return;
  target.removeAttribute("autofocus");
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: "start" });
});
// The flash bar says what went wrong outside any form (a file too large, a page gone): it is
// at the top of the page, so bring it into view.
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.detail.target && event.detail.target.id === "flash") {
    event.detail.target.scrollIntoView({ block: "start" });
    event.detail.target.focus({ preventScroll: true });
  }
});
// A form posted the ordinary way (no htmx): its save button is disabled, with a spinner, until
// the next page arrives, so a second press cannot send it twice. Disabled a moment later, so
// the button's own name and value still go with the form.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || !form.matches || !form.matches("form[method=post]")) return;
  if (form.hasAttribute("hx-post")) return;  // htmx disables its own (hx-disabled-elt)
  setTimeout(function () {
    form.classList.add("is-busy");
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});
// Back to a page kept in the browser's cache: its buttons work again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form.is-busy").forEach(function (form) {
    form.classList.remove("is-busy");
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
  });
});
// Scans over the upload limit are refused here, beside the field, before anything is sent
// (the server would refuse the whole request). The words come from the page (data-too-large).
document.addEventListener("change", function (event) {
  var input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
  var total = 0;
  for (var i = 0; i < input.files.length; i++) total += input.files[i].size;
  var message = "";
  if (total > Number(input.dataset.maxBytes)) {
    message = input.dataset.tooLarge.replace("%(size)s", (total / 1048576).toFixed(1));
  }
  input.setCustomValidity(message);
  var slot = input.parentNode.querySelector(".field-error[data-client]");
  if (!slot) {
    slot = document.createElement("span");
    slot.className = "field-error";
    slot.dataset.client = "";
    slot.setAttribute("role", "alert");
    input.insertAdjacentElement("afterend", slot);
  }
  slot.textContent = message;
  slot.hidden = !message;
});
// A held scan's chip: its remove button takes it (and its ticked box) out of the form.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-remove-chip]");
  if (!button) return;
  var chip = button.closest(".chip");
  var list = chip.parentNode;
  var next = chip.nextElementSibling || chip.previousElementSibling;
  chip.remove();
  // Keep the keyboard where it was: on the next chip's button, else on the file field.
  var focus = next ? next.querySelector("[data-remove-chip]") : null;
  if (!focus) {
    var box = list.closest(".attachments-field");
    focus = box ? box.querySelector("input[type=file]") : null;
  }
  if (focus) focus.focus();
});
// Attendance from the roster (issue 9 point 5). Another body or meeting day may bring another
// roster: ask the server for it (the roster part listens for "roster-change"). The number
// present follows the ticks, and the number expected the roster's size, as long as he has not
// typed his own.
// (In the capture phase: the number present is updated before the live check, which listens
// on the form, asks.)
document.addEventListener("change", function (event) {
  var field = event.target;
  var form = field.form;
  if (!form || !form.classList.contains("stage-form")) return;
  if (field.name === "body" || field.name === "held_at") {
    if (field.name === "body") showBasis(form, field.value);
    form.dispatchEvent(new CustomEvent("roster-change"));
  } else if (field.name === "attendee") {
    countTicks(form);
  }
}, true);
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-tick]");
  if (!button) return;
  var box = button.closest(".roster-ticks");
  box.querySelectorAll('input[name="attendee"]').forEach(function (tick) {
    tick.checked = button.dataset.tick === "all";
  });
  countTicks(button.closest("form"));
});
function countTicks(form) {
  var present = form.querySelector('input[name="present"]');
  if (!present) return;
  var ticked = form.querySelectorAll('input[name="attendee"]:checked').length;
  if (present.value === "" || present.value === present.dataset.fromTicks) {
    present.value = ticked ? String(ticked) : "";
    present.dataset.fromTicks = present.value;
    present.dispatchEvent(new Event("input", { bubbles: true }));
  }
}
// The roster was asked with the form as it was then; what he did while it came (a tick, a
// named vote, opening the named vote) is put back on the names the new roster still has.
var rosterDoneMeanwhile = null;
document.addEventListener("htmx:beforeSwap", function (event) {
  var part = event.detail.target;
  if (!part || !part.classList || !part.classList.contains("roster-part")) return;
  var named = part.querySelector("details.named-vote");
  rosterDoneMeanwhile = {
    open: !!(named && named.open),
    ticks: Array.prototype.map.call(part.querySelectorAll('input[name="attendee"]'), function (tick) {
      return [tick.value, tick.checked];
    }),
    choices: Array.prototype.map.call(part.querySelectorAll('input[type="radio"][name^="choice:"]:checked'), function (radio) {
      return [radio.name, radio.value];
    })
  };
});
function putBackRoster(part) {
  var kept = rosterDoneMeanwhile;
  rosterDoneMeanwhile = null;
  if (!kept) return;
  var named = part.querySelector("details.named-vote");
  if (named && kept.open) named.open = true;
  part.querySelectorAll('input[name="attendee"]').forEach(function (tick) {
    kept.ticks.forEach(function (was) { if (was[0] === tick.value) tick.checked = was[1]; });
  });
  part.querySelectorAll('input[type="radio"][name^="choice:"]').forEach(function (radio) {
    kept.choices.forEach(function (was) {
      if (was[0] === radio.name) radio.checked = was[1] === radio.value;
    });
  });
}
document.addEventListener("htmx:afterSwap", function (event) {
  var part = event.detail.elt;
  if (!part || !part.classList || !part.classList.contains("roster-part")) return;
  putBackRoster(part);
  var form = part.closest("form");
  var expected = form && form.querySelector('input[name="expected"]');
  var size = part.querySelector('input[name="roster_size"]');
  if (!expected || !size) return;
  if (expected.value === "" || expected.value === expected.dataset.rosterFilled) {
    expected.value = size.value;
    expected.dataset.rosterFilled = size.value;
    expected.dispatchEvent(new Event("input", { bubbles: true }));
  }
  countTicks(form);
});
// The basis of the number expected only for a body that counts attendance more than one way
// (issue 9 point 12).
function showBasis(form, body) {
  var basis = form.querySelector(".basis-field");
  if (!basis) return;
  basis.toggleAttribute("data-hide-js", basis.dataset.bodies.split(" ").indexOf(body) < 0);
}
// The menu's "more" (a <details>, which opens without scripts): closed again by Escape or a
// click elsewhere, as a menu is.
document.addEventListener("click", function (event) {
  var more = document.getElementById("nav-more");
  if (more && more.open && !more.contains(event.target)) more.open = false;
});
document.addEventListener("keydown", function (event) {
  var more = document.getElementById("nav-more");
  if (event.key !== "Escape" || !more || !more.open) return;
  more.open = false;
  more.querySelector("summary").focus();
});
