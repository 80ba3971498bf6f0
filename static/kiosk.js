// The kiosk: after two minutes without a touch, a click or a key, back to the home screen
// (on the home screen itself, back to its top). Without JavaScript the pages carry a
// <meta http-equiv="refresh"> instead (see templates/kiosk/base.html).
(function () {
  "use strict";
  var body = document.body;
  var home = body.getAttribute("data-home") || "/";
  var seconds = parseInt(body.getAttribute("data-idle-seconds"), 10) || 120;
  var atHome = body.hasAttribute("data-at-home");
  var timer = null;
  function idle() {
    if (atHome) {
      window.scrollTo(0, 0);
      restart();
    } else {
      window.location.assign(home);
    }
  }
  function restart() {
    if (timer !== null) window.clearTimeout(timer);
    timer = window.setTimeout(idle, seconds * 1000);
  }
  ["pointerdown", "keydown", "wheel", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, restart, { passive: true });
  });
  restart();
})();
