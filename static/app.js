// Small glue for htmx: show the message of a refused request (403, 404, 409, 413) in
// the flash bar, since htmx does not swap error responses. Pages work without this.
document.addEventListener("htmx:responseError", function (event) {
  var flash = document.getElementById("flash");
  if (!flash) return;
  var holder = document.createElement("div");
  holder.innerHTML = event.detail.xhr.responseText;
  var message = holder.querySelector(".error-message");
  flash.textContent = message ? message.textContent.replace(/\s+/g, " ").trim() : event.detail.xhr.status;
  flash.hidden = false;
});
document.addEventListener("htmx:beforeRequest", function () {
  var flash = document.getElementById("flash");
  if (flash) flash.hidden = true;
});
