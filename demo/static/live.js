// Keeps the element marked data-live="URL" up to date by fetching URL (an
// HTML fragment from the same app) every few seconds. Without JavaScript
// the page still shows the list as it was when loaded, with a refresh link.
(function () {
  "use strict";
  var el = document.querySelector("[data-live]");
  if (!el) { return; }
  var url = el.getAttribute("data-live");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && html !== el.innerHTML) { el.innerHTML = html; } })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
})();
