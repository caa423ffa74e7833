// Keeps a console page current while it is open: every few seconds the page is
// fetched again and each of its [data-live] sections (by id) is replaced — the
// hand-off inbox's list, a hand-off's conversation. Forms outside those sections
// (the reply box) are left alone, so nothing being typed is lost. Without
// JavaScript the pages work the same; reload them to see what is new.
(function () {
  "use strict";
  var sections = Array.prototype.slice.call(document.querySelectorAll("[data-live][id]"));
  if (!sections.length || !window.fetch || !window.DOMParser) return;
  var url = new URL(window.location.href);
  url.searchParams.delete("message");
  url.searchParams.set("refresh", "1");
  var every = 4000;
  function refresh() {
    fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        sections.forEach(function (section) {
          var update = fresh.getElementById(section.id);
          if (update && update.innerHTML !== section.innerHTML) section.innerHTML = update.innerHTML;
        });
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { window.setTimeout(refresh, every); });
  }
  window.setTimeout(refresh, every);
})();
