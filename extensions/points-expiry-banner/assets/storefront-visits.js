/* Winback storefront visits (docs/decisions/102-visits-codes-and-won-back-health.md).
   Loaded by the app embed for logged-in customers only. Sends one small POST per visit to the app
   proxy (/apps/winback/visit), and only when Shopify's Customer Privacy API, loaded the documented
   way (loadFeatures "consent-tracking-api" 0.1), answers analyticsProcessingAllowed() === true; if
   the customer consents later on the page (visitorConsentCollected), it sends then. No consent API,
   a load error or a refusal: nothing is sent. The body holds the path (no query string) and the
   message reference `wb` the email's click redirect added; the customer comes from Shopify's signed
   proxy query. At most one report per 30 minutes per tab unless the page came from an email link. */
(function (w, d) {
  "use strict";
  var KEY = "winback:visit:sent";
  var WINDOW_MS = 30 * 60 * 1000;
  var script = d.currentScript || d.querySelector("script[data-winback-visit]");
  var endpoint = (script && script.getAttribute("data-winback-visit")) || "/apps/winback/visit";
  var sent = false;

  function session(fn) {
    try {
      return fn(w.sessionStorage);
    } catch (e) {
      return null;
    }
  }
  function messageRef() {
    var m = /[?&]wb=([A-Za-z0-9_-]{1,64})(?:&|$)/.exec(w.location.search || "");
    return m ? m[1] : null;
  }
  function allowed() {
    var p = w.Shopify && w.Shopify.customerPrivacy;
    return !!(p && typeof p.analyticsProcessingAllowed === "function" && p.analyticsProcessingAllowed() === true);
  }
  function send() {
    if (sent || !allowed()) return;
    var wb = messageRef();
    var last = Number(
      session(function (s) {
        return s.getItem(KEY);
      }),
    );
    if (!wb && last && Date.now() - last < WINDOW_MS) return;
    sent = true;
    session(function (s) {
      s.setItem(KEY, String(Date.now()));
    });
    try {
      w.fetch(endpoint, {
        method: "POST",
        credentials: "same-origin",
        keepalive: true,
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path: w.location.pathname, wb: wb }),
      }).catch(function () {});
    } catch (e) {
      // A visit report never breaks the page.
    }
  }

  var S = w.Shopify;
  if (!S || typeof S.loadFeatures !== "function") return;
  S.loadFeatures([{ name: "consent-tracking-api", version: "0.1" }], function (error) {
    if (error) return;
    send();
    d.addEventListener("visitorConsentCollected", function (event) {
      if (event && event.detail && event.detail.analyticsAllowed === true) send();
    });
  });
})(window, document);
