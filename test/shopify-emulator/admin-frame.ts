// The admin frame page (what admin.shopify.com/store/{handle}/apps/{key} looks like, minus Shopify)
// and the App Bridge stand-in served at /app-bridge.js.
import crypto from "node:crypto";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export function hostParam(handle: string): string {
  return Buffer.from(`admin.shopify.com/store/${handle}`).toString("base64url");
}

/** Query string Shopify appends to the embedded app URL, signed like Shopify's HMAC (sorted params, hex). */
export function embeddedParams(opts: { shop: string; handle: string; idToken: string; apiSecret: string; nowMs: number }): string {
  const params: Record<string, string> = {
    embedded: "1",
    host: hostParam(opts.handle),
    id_token: opts.idToken,
    locale: "en",
    session: crypto.createHash("sha256").update(opts.shop).digest("hex").slice(0, 32),
    shop: opts.shop,
    timestamp: String(Math.floor(opts.nowMs / 1000)),
  };
  const message = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join("&");
  const hmac = crypto.createHmac("sha256", opts.apiSecret).update(message).digest("hex");
  return new URLSearchParams({ ...params, hmac }).toString();
}

export function adminFramePage(opts: {
  shop: string;
  shopName: string;
  appUrl: string;
  iframeSrc: string;
  apiKey: string;
  emulatorUrl: string;
}): string {
  const appOrigin = new URL(opts.appUrl).origin;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(opts.shopName)} · Winback · Shopify admin (emulator)</title>
<style>
  body{margin:0;font:14px/1.4 -apple-system,BlinkMacSystemFont,"San Francisco","Segoe UI",Roboto,sans-serif;background:#f1f1f1;color:#303030}
  header{height:56px;background:#1a1a1a;color:#e3e3e3;display:flex;align-items:center;padding:0 16px;gap:12px}
  header .logo{font-weight:700;color:#fff} header .shop{margin-left:auto;font-size:13px}
  .layout{display:flex;height:calc(100vh - 56px)}
  nav{width:240px;background:#ebebeb;padding:12px 8px;box-sizing:border-box;overflow:auto}
  nav a{display:block;padding:6px 10px;border-radius:8px;color:#303030;text-decoration:none}
  nav a:hover{background:#fafafa} nav a.active{background:#fff;font-weight:600}
  nav .app{font-weight:600;margin-top:12px}
  nav .sub a{padding-left:26px}
  .emu-tools{margin-top:16px;border-top:1px solid #d4d4d4;padding:8px 10px} .emu-tools .app{margin:0 0 6px}
  .emu-tools button{font:inherit;padding:6px 10px;border-radius:8px;border:1px solid #8a8a8a;background:#fff;cursor:pointer}
  #emu-simulate-result{font-size:12px;color:#616161;margin-top:6px}
  main{flex:1;display:flex;flex-direction:column;min-width:0}
  .titlebar{height:48px;display:flex;align-items:center;padding:0 20px;font-weight:650;font-size:16px;background:#f1f1f1}
  iframe{flex:1;border:0;width:100%;background:#f1f1f1}
  #toasts{position:fixed;bottom:24px;left:50%;transform:translateX(-50%);display:flex;flex-direction:column;gap:8px;z-index:10}
  .toast{background:#1a1a1a;color:#fff;padding:10px 16px;border-radius:10px;box-shadow:0 4px 12px rgba(0,0,0,.3)}
  .toast.error{background:#8e1f0b}
</style></head>
<body>
<header><span class="logo">shopify</span><span>admin emulator</span><span class="shop">${esc(opts.shopName)} · ${esc(opts.shop)}</span></header>
<div class="layout">
  <nav aria-label="Admin navigation">
    <a href="#">Home</a><a href="#">Orders</a><a href="#">Products</a><a href="#">Customers</a>
    <div class="app">Winback</div>
    <div class="sub" id="app-nav"></div>
    <div class="emu-tools" aria-label="Emulator tools">
      <div class="app">Emulator</div>
      <button type="button" id="emu-simulate" title="Simulated shoppers place orders over the next 30 days; win-back customers reorder more often">Simulate 30 days of shoppers</button>
      <div id="emu-simulate-result" role="status" aria-live="polite"></div>
    </div>
  </nav>
  <main>
    <div class="titlebar" id="title-bar">Winback</div>
    <iframe id="app-iframe" name="app-iframe" title="Winback" src="${esc(opts.iframeSrc)}" allow="clipboard-write"></iframe>
  </main>
</div>
<div id="toasts" role="status" aria-live="polite"></div>
<script>
(function(){
  var APP_ORIGIN = ${JSON.stringify(appOrigin)};
  var SHOP = ${JSON.stringify(opts.shop)}, API_KEY = ${JSON.stringify(opts.apiKey)};
  var frame = document.getElementById('app-iframe');
  window.__toasts = [];
  // Demo helper, not part of Shopify: lets weeks of shopper behaviour happen in a click.
  document.getElementById('emu-simulate').addEventListener('click', function(){
    var out = document.getElementById('emu-simulate-result');
    out.textContent = 'Simulating…';
    fetch('/__emulator/shops/' + encodeURIComponent(SHOP) + '/simulate', {method:'POST', headers:{'Content-Type':'application/json'}, body: JSON.stringify({days:30, seed: Math.floor(Math.random()*1e9)})})
      .then(function(r){ return r.json(); })
      .then(function(j){ out.textContent = j.error ? j.error : (j.orders + ' orders placed (' + j.codeRedemptions + ' with a win-back code). Reload the app page to see them.'); })
      .catch(function(e){ out.textContent = String(e); });
  });
  function post(msg){ frame.contentWindow && frame.contentWindow.postMessage(msg, APP_ORIGIN); }
  function fetchToken(){ return fetch('/session-token?shop=' + encodeURIComponent(SHOP) + '&api_key=' + encodeURIComponent(API_KEY)).then(function(r){return r.json()}).then(function(j){return j.token}); }
  window.addEventListener('message', function(ev){
    if (ev.origin !== APP_ORIGIN || !ev.data || typeof ev.data !== 'object') return;
    var m = ev.data;
    if (m.type === 'emu:idToken') fetchToken().then(function(t){ post({type:'emu:idTokenResult', id:m.id, token:t}); });
    else if (m.type === 'emu:nav') {
      var box = document.getElementById('app-nav'); box.innerHTML = '';
      (m.links || []).forEach(function(l){
        if (l.rel === 'home') return;
        var a = document.createElement('a'); a.href = '#'; a.textContent = l.label; a.dataset.href = l.href;
        a.addEventListener('click', function(e){ e.preventDefault(); post({type:'emu:navigate', href:l.href});
          Array.prototype.forEach.call(box.children, function(x){ x.classList.remove('active'); }); a.classList.add('active'); });
        box.appendChild(a);
      });
    }
    else if (m.type === 'emu:title') document.getElementById('title-bar').textContent = m.title || 'Winback';
    else if (m.type === 'emu:toast') {
      window.__toasts.push({message:m.message, isError:!!m.isError});
      var t = document.createElement('div'); t.className = 'toast' + (m.isError ? ' error' : ''); t.textContent = m.message;
      document.getElementById('toasts').appendChild(t); setTimeout(function(){ t.remove(); }, m.duration || 5000);
    }
    else if (m.type === 'emu:openTop') { window.location.href = new URL(m.url, APP_ORIGIN).toString(); }
  });
})();
</script>
</body></html>`;
}

/** App Bridge stand-in. Runs inside the app's pages (in the frame or top-level). */
export function appBridgeScript(emulatorUrl: string): string {
  return `/* Shopify emulator: App Bridge stand-in (not Shopify's code). */
(function(){
  if (window.shopify && window.shopify.__emulator) return;
  var EMU = ${JSON.stringify(emulatorUrl)};
  var script = document.currentScript;
  var apiKey = (script && script.getAttribute('data-api-key')) || '';
  var params = new URLSearchParams(location.search);
  // Third-party frames may have no storage access (partitioned / blocked): never let that break us.
  function load(k){ try { return sessionStorage.getItem(k); } catch(e){ return window.name.indexOf(k + '=') === 0 ? window.name.slice(k.length + 1) : null; } }
  function save(k, v){ try { sessionStorage.setItem(k, v); } catch(e){} }
  var ref = /store.([a-z0-9-]+)/.exec(document.referrer || '');
  var shop = params.get('shop') || load('emu:shop') || (ref ? ref[1] + '.myshopify.com' : '');
  var host = params.get('host') || load('emu:host') || '';
  if (!shop && host) { try { var h = atob(host.replace(/-/g,'+').replace(/_/g,'/')); var mm = /store.([a-z0-9-]+)/.exec(h); if (mm) shop = mm[1] + '.myshopify.com'; } catch(e){} }
  if (shop) save('emu:shop', shop);
  if (host) save('emu:host', host);
  var inFrame = window.parent !== window;
  var cached = null, seq = 0, waiting = {};
  window.__toasts = window.__toasts || [];

  function decodeExp(t){ try { return JSON.parse(atob(t.split('.')[1].replace(/-/g,'+').replace(/_/g,'/'))).exp * 1000; } catch(e){ return 0; } }
  function viaFetch(){
    return fetch(EMU + '/session-token?shop=' + encodeURIComponent(shop) + '&api_key=' + encodeURIComponent(apiKey), {mode:'cors'})
      .then(function(r){ if(!r.ok) throw new Error('session token request failed: ' + r.status); return r.json(); })
      .then(function(j){ return j.token; });
  }
  function viaParent(){
    return new Promise(function(resolve, reject){
      var id = ++seq; waiting[id] = resolve;
      window.parent.postMessage({type:'emu:idToken', id:id}, '*');
      setTimeout(function(){ if (waiting[id]) { delete waiting[id]; viaFetch().then(resolve, reject); } }, 3000);
    });
  }
  function idToken(){
    if (cached && decodeExp(cached) - Date.now() > 15000) return Promise.resolve(cached);
    return (inFrame ? viaParent() : viaFetch()).then(function(t){ cached = t; return t; });
  }
  window.addEventListener('message', function(ev){
    var m = ev.data; if (!m || typeof m !== 'object') return;
    if (m.type === 'emu:idTokenResult' && waiting[m.id]) { var r = waiting[m.id]; delete waiting[m.id]; r(m.token); }
    if (m.type === 'emu:navigate') navigate(m.href);
  });
  function toParent(msg){ if (inFrame) window.parent.postMessage(msg, '*'); }
  function navigate(href){
    var a = document.querySelector('ui-nav-menu a[href="' + href + '"]');
    var temp = false;
    if (!a) { a = document.createElement('a'); a.setAttribute('href', href); a.style.display = 'none'; document.body.appendChild(a); temp = true; }
    a.dispatchEvent(new CustomEvent('shopify:navigate', {bubbles:true}));
    if (temp) a.remove();
  }

  var toastBox;
  function showToast(message, opts){
    opts = opts || {};
    window.__toasts.push({message:String(message), isError:!!opts.isError});
    toParent({type:'emu:toast', message:String(message), isError:!!opts.isError, duration:opts.duration});
    if (!toastBox) { toastBox = document.createElement('div'); toastBox.setAttribute('data-emulator-toasts',''); toastBox.setAttribute('role','status');
      toastBox.style.cssText = 'position:fixed;bottom:16px;right:16px;display:flex;flex-direction:column;gap:6px;z-index:2147483647'; document.body.appendChild(toastBox); }
    var t = document.createElement('div'); t.className = 'emulator-toast'; t.textContent = String(message);
    t.style.cssText = 'background:' + (opts.isError ? '#8e1f0b' : '#1a1a1a') + ';color:#fff;padding:8px 14px;border-radius:8px;font:13px sans-serif';
    toastBox.appendChild(t); setTimeout(function(){ t.remove(); }, opts.duration || 5000);
    return 'toast-' + window.__toasts.length;
  }

  var nativeOpen = window.open.bind(window);
  window.open = function(url, target, features){
    if (target === '_top' || target === '_parent') {
      if (inFrame) { toParent({type:'emu:openTop', url:String(url)}); return null; }
      location.assign(String(url)); return null;
    }
    return nativeOpen(url, target, features);
  };

  var nativeFetch = window.fetch.bind(window);
  window.fetch = function(input, init){
    var url = typeof input === 'string' ? input : (input instanceof URL ? input.href : input.url);
    var sameOrigin = new URL(url, location.href).origin === location.origin;
    if (!sameOrigin) return nativeFetch(input, init);
    var headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
    if (headers.has('Authorization')) return nativeFetch(input, init);
    return idToken().then(function(t){
      headers.set('Authorization', 'Bearer ' + t);
      if (input instanceof Request) return nativeFetch(new Request(input, Object.assign({}, init, {headers: headers})));
      return nativeFetch(input, Object.assign({}, init, {headers: headers}));
    });
  };

  window.shopify = {
    __emulator: true,
    config: { apiKey: apiKey, shop: shop, host: host, locale: 'en' },
    environment: { embedded: inFrame, mobile: false, pos: false },
    origin: EMU,
    idToken: idToken,
    toast: { show: showToast, hide: function(){} },
    loading: function(){},
    saveBar: { show: function(){ return Promise.resolve(); }, hide: function(){ return Promise.resolve(); }, toggle: function(){ return Promise.resolve(); }, leaveConfirmation: function(){ return Promise.resolve(); } },
    modal: { show: function(id){ var m = document.getElementById(id); m && m.show && m.show(); return Promise.resolve(); }, hide: function(id){ var m = document.getElementById(id); m && m.hide && m.hide(); return Promise.resolve(); }, toggle: function(){ return Promise.resolve(); } },
    resourcePicker: function(){ return Promise.reject(new Error('resourcePicker is not available in the Shopify emulator')); },
    scopes: { query: function(){ return Promise.resolve({granted: [], required: [], optional: []}); }, request: function(){ return Promise.reject(new Error('not available in the Shopify emulator')); }, revoke: function(){ return Promise.reject(new Error('not available in the Shopify emulator')); } },
    user: function(){ return Promise.resolve({ accountAccess: 'Account owner' }); },
  };

  function define(name, cls){ if (!customElements.get(name)) customElements.define(name, cls); }
  // React renders these elements on the server and hydrates them. Anything that changes their
  // attributes before hydration (a style="display:none" set in connectedCallback, say) is an
  // attribute the server did not render, which React reports ("Extra attributes from the server").
  // So they hide through their own shadow root (no slot: the light-DOM children are not rendered)
  // and never touch their attributes.
  function shadow(el, css){
    var root = el.shadowRoot || el.attachShadow({mode:'open'});
    if (!root.firstChild) { var st = document.createElement('style'); root.appendChild(st); if (css != null) root.appendChild(document.createElement('slot')); }
    root.firstChild.textContent = css == null ? ':host{display:none}' : css;
  }
  define('ui-nav-menu', class extends HTMLElement {
    connectedCallback(){ shadow(this); var self = this; this._mo = new MutationObserver(function(){ self.sync(); }); this._mo.observe(this, {childList:true, subtree:true, attributes:true}); this.sync(); }
    disconnectedCallback(){ this._mo && this._mo.disconnect(); }
    sync(){ var links = Array.prototype.map.call(this.querySelectorAll('a'), function(a){ return {href:a.getAttribute('href'), label:a.textContent.trim(), rel:a.getAttribute('rel')}; }); toParent({type:'emu:nav', links:links}); }
  });
  define('ui-title-bar', class extends HTMLElement {
    static get observedAttributes(){ return ['title']; }
    connectedCallback(){ shadow(this); toParent({type:'emu:title', title:this.getAttribute('title')}); }
    attributeChangedCallback(){ toParent({type:'emu:title', title:this.getAttribute('title')}); }
  });
  var MODAL_OPEN = ':host{display:block;position:fixed;inset:10% 20%;background:#fff;padding:16px;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.3);z-index:2147483646;overflow:auto}';
  define('ui-modal', class extends HTMLElement {
    connectedCallback(){ shadow(this, this._open ? MODAL_OPEN : ':host{display:none}'); }
    show(){ this._open = true; shadow(this, MODAL_OPEN); return Promise.resolve(); }
    hide(){ this._open = false; shadow(this, ':host{display:none}'); return Promise.resolve(); }
    toggle(){ return this._open ? this.hide() : this.show(); }
  });
  define('ui-save-bar', class extends HTMLElement { connectedCallback(){ shadow(this); } show(){ return Promise.resolve(); } hide(){ return Promise.resolve(); } });

  // Session-token bounce page: fetch a token and reload the original URL with it.
  var reload = params.get('shopify-reload');
  if (reload && location.pathname.replace(/\\/$/, '').endsWith('/session-token')) {
    idToken().then(function(t){ var u = new URL(reload, location.href); u.searchParams.set('id_token', t); location.replace(u.toString()); });
  }
})();
`;
}
