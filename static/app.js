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
