// Keeps the element marked data-live="URL" up to date by fetching URL (an
// HTML fragment from the same app) every few seconds. Without JavaScript
// the page still shows the list as it was when loaded, with a reload link.
// When the app answers anything but the fragment (the session ended, access
// was removed), the script reloads the page so that it says why.
(function () {
  "use strict";
  var el = document.querySelector("[data-live]");
  if (!el) { return; }
  var url = el.getAttribute("data-live");
  function poll() {
    fetch(url, { credentials: "same-origin", redirect: "manual", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status === 200) { return r.text(); }
        if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) {
          window.location.reload();
          return false;
        }
        return null; // a passing failure: try again later
      })
      .then(function (html) {
        if (html === false) { return; } // reloading
        if (html !== null && html !== el.innerHTML) { el.innerHTML = html; }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
