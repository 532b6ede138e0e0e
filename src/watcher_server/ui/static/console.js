// Refreshes the part of a page marked with data-refresh-seconds in place: the same URL is
// fetched with a header that asks the server for that part alone. Pauses while the tab is
// hidden; the page works without it (reload to refresh).
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch) return;
  var seconds = Number(live.getAttribute("data-refresh-seconds")) || 5;
  var busy = false;

  function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    fetch(window.location.href, {
      headers: { "X-Console-Fragment": "live" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        live.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {
        // A restart or a network blip: keep what is shown, try again at the next tick.
      })
      .then(function () {
        busy = false;
      });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", refresh);
})();
