// Keeps a hand-off page's conversation current while an agent has it open: every
// few seconds the page is fetched again and its #conversation section replaced
// (the reply box is left alone, so nothing being typed is lost). Without
// JavaScript the page works the same; reload it to see new messages.
(function () {
  "use strict";
  var section = document.getElementById("conversation");
  if (!section || !window.fetch || !window.DOMParser) return;
  var url = new URL(window.location.href);
  url.searchParams.delete("message");
  url.searchParams.set("refresh", "1");
  var every = 4000;
  function refresh() {
    fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("conversation");
        if (fresh && fresh.innerHTML !== section.innerHTML) section.innerHTML = fresh.innerHTML;
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
