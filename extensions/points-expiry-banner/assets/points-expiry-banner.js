/* Winback points expiry banner: progressive enhancement of the server-rendered app embed.
   - hides the banner for the rest of the session once dismissed (sessionStorage)
   - refines the day countdown to hours in the last 48 hours, removes the banner once expired
   - redeems through the app proxy (POST /apps/winback/redeem) with one idempotency key per
     click-session, so a double click or a retry never redeems twice. */
(function () {
  "use strict";
  var HOUR = 3600;
  var KEY = "winback:peb:dismissed:";

  function fill(tpl, vars) {
    return String(tpl || "").replace(/\[(\w+)\]/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
    });
  }
  function store(fn) {
    try {
      return fn(window.sessionStorage);
    } catch (e) {
      return null;
    }
  }
  function uuid() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.random() * 256;
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map
      .call(b, function (x) {
        return (x + 256).toString(16).slice(1);
      })
      .join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function init(root) {
    if (root.getAttribute("data-peb-ready")) return;
    root.setAttribute("data-peb-ready", "1");
    var d = root.dataset;
    var expiresAt = Number(d.expiresAt) || 0;
    var dismissKey = KEY + expiresAt;
    if (
      store(function (s) {
        return s.getItem(dismissKey);
      })
    ) {
      root.hidden = true;
      return;
    }

    var dismiss = root.querySelector("[data-peb-dismiss]");
    if (dismiss)
      dismiss.addEventListener("click", function () {
        store(function (s) {
          s.setItem(dismissKey, "1");
        });
        root.hidden = true;
      });

    var countdown = root.querySelector("[data-peb-countdown] time");
    var timer;
    function tick() {
      var left = expiresAt - Date.now() / 1000;
      if (left <= 0) {
        root.hidden = true;
        clearInterval(timer);
        return;
      }
      if (!countdown || left >= 48 * HOUR) return;
      var hours = Math.ceil(left / HOUR);
      countdown.textContent = left < HOUR ? d.i18nMinutes : fill(hours === 1 ? d.i18nHoursOne : d.i18nHoursOther, { count: hours });
    }
    tick();
    timer = setInterval(tick, 60000);

    var form = root.querySelector("[data-peb-form]");
    var button = root.querySelector("[data-peb-redeem]");
    var result = root.querySelector("[data-peb-result]");
    var idempotencyKey = null;
    var pending = false;
    var label = button ? button.textContent : "";
    if (!form || !button || !result) return;

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (pending) return;
      pending = true;
      // One key per click-session: reused on retry after an error, so the server can dedupe.
      idempotencyKey = idempotencyKey || uuid();
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      button.textContent = d.i18nPending;
      result.textContent = "";

      fetch(d.redeemUrl || form.getAttribute("action"), {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-Idempotency-Key": idempotencyKey,
        },
        // Key also in the body in case a proxy hop drops custom headers.
        body: JSON.stringify({ points: Number(d.points) || 0, idempotencyKey: idempotencyKey }),
      })
        .then(function (res) {
          return res
            .json()
            .catch(function () {
              return {};
            })
            .then(function (body) {
              if (!res.ok || !body || typeof body.code !== "string" || !body.code) {
                // The app answers in the shop's language ("Not enough points."); show that when it says why.
                var err = new Error("redeem");
                err.shopperText = !res.ok && body && typeof body.error === "string" ? body.error : "";
                throw err;
              }
              return body;
            });
        })
        .then(function (body) {
          result.textContent = "";
          var code = document.createElement("span");
          code.className = "peb__code";
          code.textContent = body.code;
          var parts = fill(d.i18nCode, { code: "\u0000" }).split("\u0000");
          result.appendChild(document.createTextNode(parts[0] || ""));
          result.appendChild(code);
          result.appendChild(document.createTextNode(parts.slice(1).join("")));
          if (typeof body.balance === "number") {
            result.appendChild(document.createTextNode(" " + fill(d.i18nBalance, { balance: body.balance })));
          }
          if (countdown) countdown.parentNode.hidden = true;
          form.hidden = true;
          clearInterval(timer);
          result.setAttribute("tabindex", "-1");
          result.focus();
        })
        .catch(function (e) {
          result.textContent = (e && e.shopperText) || d.i18nError;
          button.disabled = false;
          button.textContent = label;
        })
        .then(function () {
          pending = false;
          button.removeAttribute("aria-busy");
        });
    });
  }

  function start() {
    var roots = document.querySelectorAll("[data-peb]");
    for (var i = 0; i < roots.length; i++) init(roots[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
