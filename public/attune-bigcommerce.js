/* Attune storefront script for BigCommerce: anonymous visitor id, behaviour events,
   recommendation widgets and smart offers. Installed through the Scripts API (footer, deferred,
   consent category "analytics") as .../attune-bigcommerce.js?store=HASH&client_id=ID.
   ES2017, no dependencies. */
(() => {
  'use strict';
  if (window.Attune) return; // installed twice (another channel, a theme copy): run once
  const doc = document;
  const me = doc.currentScript;
  let src;
  try { src = new URL(me.src); } catch (e) { return; } // not loaded by a <script src>
  const store = (src.searchParams.get('store') || '').trim();
  const clientId = (src.searchParams.get('client_id') || '').trim();
  if (!/^[a-z0-9]{1,32}$/i.test(store)) return;
  const base = src.origin + '/storefront/bigcommerce/' + store;
  const debug = src.searchParams.get('debug') === '1';
  const log = (...a) => { if (debug) console.info('[attune]', ...a); };
  const KEY = 'attune_vid', JWT_KEY = 'attune_cjwt';
  const idOf = (v) => { v = String(v == null ? '' : v).trim(); return /^[\w.-]{1,64}$/.test(v) ? v : ''; };
  const now = () => Math.floor(Date.now() / 1000);

  // Consent: BigCommerce loads an "analytics" script only once the shopper agreed (or when the
  // store asks for no consent), so running at all is consent. Global Privacy Control says no.
  const refused = navigator.globalPrivacyControl === true;

  const randomId = () => {
    const c = window.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    const b = c.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, (x) => (x + 256).toString(16).slice(1)).join('');
  };

  // The shopper's Current Customer JWT, from BigCommerce (same origin, the session cookie). It
  // names the customer to us and goes only in a header, never in a URL. Kept for the session
  // with its expiry, on the local clock: exp - iat from now, so a skewed clock does not matter.
  let jwt = null, guest = false, asking = null, noToken = false;
  const fresh = (j) => !!j && typeof j.t === 'string' && j.until - now() > 60;
  const forgetJwt = () => { jwt = null; try { sessionStorage.removeItem(JWT_KEY); } catch (e) { /* no storage */ } };
  // Logging in or out changes who the shopper is: a kept token may name someone else.
  if (/^\/login\.php/i.test(location.pathname)) forgetJwt();
  const claims = (t) => {
    try { return JSON.parse(atob(t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) || {}; } catch (e) { return {}; }
  };
  const customer = (cachedOnly) => {
    if (noToken || refused) return Promise.resolve(null);
    if (!jwt) try { jwt = JSON.parse(sessionStorage.getItem(JWT_KEY) || 'null'); } catch (e) { jwt = null; }
    if (fresh(jwt)) return Promise.resolve(jwt.t);
    if (cachedOnly || guest || !clientId) return Promise.resolve(null);
    if (!asking) {
      asking = fetch('/customer/current.jwt?app_client_id=' + encodeURIComponent(clientId), { credentials: 'same-origin' })
        .then((r) => (r.status === 200 ? r.text() : (guest = true, null))) // 404: a guest; not asked again on this page
        .then((t) => {
          t = (t || '').trim();
          const c = claims(t);
          if (!t || !Number.isFinite(c.exp)) { jwt = null; return null; }
          jwt = { t, until: now() + c.exp - (Number.isFinite(c.iat) ? c.iat : now()) };
          try { sessionStorage.setItem(JWT_KEY, JSON.stringify(jwt)); } catch (e) { /* no storage */ }
          return t;
        })
        .catch((e) => { log('no customer token:', e.message); return null; })
        .then((t) => { asking = null; return t; });
    }
    return asking;
  };

  // A call to Attune, with the shopper's token when there is one. A refused token (expired, or
  // the shopper logged out meanwhile) is asked for again once, then the call goes without one.
  const call = async (path, init, beacon) => {
    let t = await customer(beacon);
    for (let i = 0; ; i++) {
      const o = Object.assign({ mode: 'cors', credentials: 'omit' }, init(t));
      if (t) o.headers['X-Attune-Customer-Jwt'] = t;
      const r = await fetch(base + path, o);
      if (r.status !== 401 || !t) return r;
      log('customer token refused:', await r.clone().text().catch(() => ''));
      forgetJwt();
      if (i) noToken = true;
      t = i ? null : await customer(beacon);
    }
  };

  const post = async (body, beacon) => {
    const data = JSON.stringify(body);
    try {
      // Without a token: text/plain needs no preflight, and a beacon survives the page closing.
      if (beacon && !(await customer(true)) && navigator.sendBeacon && navigator.sendBeacon(base + '/events', data)) return;
      const r = await call('/events', (t) => ({
        method: 'POST', body: data, keepalive: !!beacon,
        headers: { 'Content-Type': t ? 'application/json' : 'text/plain' },
      }), beacon);
      if (r.status !== 202) log('events refused: HTTP', r.status);
    } catch (e) { log('events not sent:', e.message); }
  };

  const visitor = () => {
    let id = null;
    try {
      if (refused) {
        // Refused (perhaps after agreeing): the server forgets what this browser sent.
        const old = localStorage.getItem(KEY);
        localStorage.removeItem(KEY);
        if (old) post({ visitor: old, consent: { analytics: false }, events: [] });
      } else {
        id = localStorage.getItem(KEY);
        if (!id || !/^[0-9a-f-]{16,64}$/i.test(id)) {
          id = randomId();
          localStorage.setItem(KEY, id);
        }
      }
    } catch (e) {
      // Storage blocked: an id for this page view only (still nothing when refused).
      if (!refused) try { id = randomId(); } catch (e2) { id = null; }
    }
    log('visitor', id, 'refused', refused);
    return id;
  };
  const vid = visitor();
  // Attune.ready: the visitor id promise (null when refused), as on Shopify.
  const Attune = (window.Attune = { visitorId: vid, ready: Promise.resolve(vid) });
  if (vid) customer(); // ask early: the first batch and the widgets need it

  // What page this is: a product page's add-to-cart form names the product (the first one;
  // others belong to quick views), or an element a merchant marked with data-attune-product.
  const pageProduct = (() => {
    const input = doc.querySelector('input[name="product_id"]');
    if (input && idOf(input.value)) return idOf(input.value);
    const marked = Array.prototype.find.call(doc.querySelectorAll('[data-attune-product]'),
      (e) => !e.closest('.attune-recs__items') && idOf(e.getAttribute('data-attune-product')));
    return marked ? idOf(marked.getAttribute('data-attune-product')) : '';
  })();

  // Behaviour events, batched.
  const Q = [];
  let seq = 0, timer = 0, sess = null;
  const session = () => {
    try { if (sessionStorage.getItem('attune_sess')) return false; sessionStorage.setItem('attune_sess', '1'); } catch (e) { /* no storage */ }
    const u = new URL(location.href), c = { landing_page: u.pathname.slice(0, 500) };
    let r = '';
    try { r = doc.referrer ? new URL(doc.referrer).hostname : ''; } catch (e) { /* opaque referrer */ }
    if (r && r !== location.hostname) c.referrer = r; // host only: a full URL may carry personal data
    ['utm_source', 'utm_medium', 'utm_campaign'].forEach((k) => { const v = u.searchParams.get(k); if (v) c[k] = v.slice(0, 200); });
    const w = Math.min(screen.width || 1e4, window.innerWidth || 1e4);
    c.device = w < 768 ? 'mobile' : w < 1025 ? 'tablet' : 'desktop';
    return c;
  };
  const flush = async (beacon) => {
    clearTimeout(timer); timer = 0;
    if (!vid) { Q.length = 0; return; } // refused: nothing leaves the page
    while (Q.length) {
      const body = { visitor: vid, events: Q.splice(0, 20) };
      if (sess === null) sess = session();
      if (sess) { body.context = sess; sess = false; }
      await post(body, beacon);
    }
  };
  const track = Attune.track = (type, props) => {
    if (!vid) return;
    Q.push(Object.assign({ id: Date.now().toString(36) + '-' + (seq++) + '-' + Math.random().toString(36).slice(2, 8), type, at: Date.now() }, props));
    if (Q.length >= 20) flush(); else if (!timer) timer = setTimeout(flush, 1000);
  };
  window.addEventListener('pagehide', () => flush(true));
  doc.addEventListener('visibilitychange', () => { if (doc.visibilityState === 'hidden') flush(true); });
  track('page_viewed', { url: location.pathname.slice(0, 500) });
  if (pageProduct) track('product_viewed', { product: pageProduct });
  // Capture phase: Stencil themes add to the cart by script and cancel the submit afterwards.
  doc.addEventListener('submit', (e) => {
    const f = e.target;
    if (!f || !f.getAttribute || !/\/cart\.php/i.test(f.getAttribute('action') || '')) return;
    const input = f.querySelector('[name="product_id"]');
    const product = idOf(input && input.value) || pageProduct;
    if (!product) return;
    const q = f.querySelector('[name="qty[]"], [name="qty"], [name="quantity"]');
    track('product_added_to_cart', { product, quantity: Math.min(10000, Math.max(1, parseInt(q && q.value, 10) || 1)) });
    flush(true);
  }, true);

  // Styles for what we render, first in <head> so that the theme's own rules win.
  const style = () => {
    if (doc.querySelector('style[data-attune-style]')) return;
    const s = doc.createElement('style');
    s.setAttribute('data-attune-style', '');
    s.textContent = '.attune-recs[hidden],.attune-offer[hidden]{display:none!important}'
      + '.attune-grid{display:grid;grid-auto-flow:column;grid-auto-columns:10.5rem;gap:1rem;margin:0;padding:.25rem .25rem .75rem;list-style:none;overflow-x:auto}'
      + '.attune-card{margin:0;padding:0}.attune-card__link{display:flex;flex-direction:column;gap:.5rem;color:inherit;text-decoration:none}'
      + '.attune-card__media{display:block;aspect-ratio:1/1;overflow:hidden;border-radius:.375rem;background:rgba(127,127,127,.16)}'
      + '.attune-card__media img{display:block;width:100%;height:100%;object-fit:cover}'
      + '.attune-card__ph{display:flex;align-items:center;justify-content:center;height:100%;font-size:1.75em;font-weight:600}'
      + '.attune-card__price{font-weight:600}'
      + '.attune-offer{box-sizing:border-box;color:var(--attune-offer-fg,#121212);background:var(--attune-offer-bg,#fff);font:inherit;line-height:1.4}'
      + '.attune-offer--banner{position:fixed;left:0;right:0;bottom:0;z-index:var(--attune-offer-z,1000);box-shadow:0 -.25rem 1.25rem rgba(0,0,0,.15)}'
      + '.attune-offer--dialog{width:min(30rem,calc(100vw - 2rem));padding:0;border:0;border-radius:.5rem}.attune-offer--dialog::backdrop{background:rgba(0,0,0,.5)}'
      + '.attune-offer__inner{position:relative;display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1.25rem;max-width:72rem;margin:0 auto;padding:.75rem 3.75rem .75rem 1rem}'
      + '.attune-offer__headline{flex:1 1 100%;margin:0;font-size:1.0625rem;font-weight:700}.attune-offer__body,.attune-offer__code-line{margin:0}'
      + '.attune-offer__code{padding:.125em .5em;border:1px dashed currentColor;font-weight:700;user-select:all}'
      + '.attune-offer__actions{display:flex;gap:.5rem;margin-inline-start:auto}'
      + '.attune-offer__btn{min-height:44px;padding:.5rem 1.125rem;border:2px solid currentColor;border-radius:.5rem;font:inherit;font-weight:600;cursor:pointer;color:inherit;background:transparent;text-decoration:none;display:inline-flex;align-items:center}'
      + '.attune-offer__close{position:absolute;top:.25rem;right:.25rem;width:44px;height:44px;border:0;background:transparent;color:inherit;font-size:1.75rem;cursor:pointer}'
      + '.attune-offer__status{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}';
    doc.head.insertBefore(s, doc.head.firstChild);
  };

  // Recommendation widgets: elements a merchant placed (Page Builder HTML) with
  // data-attune-widget="ID", optionally data-attune-product; the products go into their
  // .attune-recs__items child.
  const load = async (sec) => {
    let items = sec.querySelector('.attune-recs__items');
    if (!items) items = sec.appendChild(Object.assign(doc.createElement('div'), { className: 'attune-recs__items' }));
    const widget = sec.getAttribute('data-attune-widget').trim();
    // In view, whatever comes back: holdout visitors count too, so they can be compared.
    track('recommendation_viewed', { widget });
    try {
      const p = new URLSearchParams();
      p.set('widget', widget);
      const product = idOf(sec.getAttribute('data-attune-product')) || pageProduct;
      if (product) p.set('product', product);
      if (vid) p.set('visitor', vid);
      p.set('format', 'html');
      const r = await call('/recommendations?' + p, () => ({ headers: { Accept: 'text/html' } }));
      if (r.status !== 200) throw new Error('HTTP ' + r.status);
      const tpl = doc.createElement('template');
      tpl.innerHTML = await r.text(); // our server's template, its text escaped there
      const grid = tpl.content.querySelector('[data-attune-count]');
      const n = grid ? parseInt(grid.getAttribute('data-attune-count'), 10) : 0;
      if (!(n > 0) || !tpl.content.querySelector('.attune-card')) throw new Error('no products');
      style();
      items.textContent = '';
      items.appendChild(tpl.content);
      items.setAttribute('aria-busy', 'false');
      sec.hidden = false;
      sec.setAttribute('data-attune-state', 'done');
      log('widget', widget, n, 'products');
    } catch (e) {
      sec.hidden = true; // never leave an empty box behind
      sec.setAttribute('data-attune-state', 'empty');
      log('widget hidden:', e.message);
    }
  };

  const io = typeof window.IntersectionObserver === 'function'
    ? new IntersectionObserver((entries) => {
      entries.forEach((en) => {
        if (en.isIntersecting) { io.unobserve(en.target); load(en.target); }
      });
    }, { rootMargin: '300px 0px' })
    : null;

  const scan = () => {
    doc.querySelectorAll('[data-attune-widget]').forEach((sec) => {
      // Our rendered grid carries the widget id too.
      if (sec.hasAttribute('data-attune-state') || sec.closest('.attune-recs__items')) return;
      sec.setAttribute('data-attune-state', 'pending');
      if (!idOf(sec.getAttribute('data-attune-widget'))) { sec.hidden = true; return; }
      if (io) io.observe(sec); else load(sec);
    });
  };
  doc.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('.attune-recs__items a[data-attune-product]');
    const sec = a && a.closest('.attune-recs__items').closest('[data-attune-widget]');
    if (!sec) return;
    track('recommendation_clicked', { widget: sec.getAttribute('data-attune-widget').trim(), product: a.getAttribute('data-attune-product') });
    flush(true);
  }, true);
  scan();
  // Widgets added later (Page Builder previews, themes that render sections by script).
  if (typeof window.MutationObserver === 'function') {
    let pending = 0;
    new MutationObserver(() => { if (!pending) pending = setTimeout(() => { pending = 0; scan(); }, 50); })
      .observe(doc.documentElement, { childList: true, subtree: true });
  }

  // Smart offers: one discount offer (bottom banner or modal dialog) where a merchant placed an
  // element with data-attune-offer (its data-attune-text-* attributes override the wording).
  const SEEN = 'attune_offer_dismissed:'; // + code, in sessionStorage
  const el = (tag, cls, text) => {
    const e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text); // never innerHTML: headline and body are merchant text
    return e;
  };
  const attr = (e, o) => { Object.keys(o).forEach((k) => e.setAttribute(k, o[k])); return e; };
  // The shopper's cart, from BigCommerce's Storefront Cart API (same origin), or null.
  const cart = () => fetch('/api/storefront/carts', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : null))
    .then((list) => (Array.isArray(list) && list[0] && list[0].id ? list[0] : null))
    .catch(() => null);
  const minor = (c) => {
    const d = c && c.currency && Number.isInteger(c.currency.decimalPlaces) ? c.currency.decimalPlaces : 2;
    return c && Number.isFinite(c.baseAmount) && c.baseAmount >= 0 ? Math.round(c.baseAmount * Math.pow(10, d)) : null;
  };

  // Shared contents of banner and dialog; returns the close/dismiss button.
  const fill = (root, o, T, closeLabel, headId) => {
    attr(root, { 'data-attune-offer-id': String(o.id), 'data-attune-offer-state': 'shown' });
    const box = root.appendChild(el('div', 'attune-offer__inner'));
    const h = box.appendChild(el('h2', 'attune-offer__headline', o.headline || T.label));
    if (headId) h.id = headId;
    if (o.body) box.appendChild(el('p', 'attune-offer__body', o.body));
    const line = box.appendChild(el('p', 'attune-offer__code-line', T.use + ' '));
    const code = line.appendChild(el('code', 'attune-offer__code', o.code));
    const acts = box.appendChild(el('div', 'attune-offer__actions'));
    const copy = attr(acts.appendChild(el('button', 'attune-offer__btn attune-offer__copy', T.copy)), { type: 'button', 'data-attune-offer-copy': '' });
    const apply = attr(acts.appendChild(el('a', 'attune-offer__btn attune-offer__apply', T.apply)), { href: '/cart.php', 'data-attune-offer-apply': '' });
    const status = attr(box.appendChild(el('p', 'attune-offer__status')), { role: 'status', 'aria-live': 'polite', 'data-attune-offer-status': '' });
    const x = attr(box.appendChild(el('button', 'attune-offer__close')), { type: 'button', 'aria-label': closeLabel, 'data-attune-offer-dismiss': '' });
    attr(x.appendChild(el('span', '', '\u00d7')), { 'aria-hidden': 'true' });
    // Measurement: shown, then copied or applied (collecting a code is not a sale).
    const seen = (type) => track(type, { offer: String(o.id) });
    seen('offer_viewed');
    const select = () => {
      try { const s = getSelection(), r = doc.createRange(); r.selectNodeContents(code); s.removeAllRanges(); s.addRange(r); } catch (e) { /* nothing more to do */ }
    };
    // BigCommerce applies a code to the cart's checkout (the Storefront Checkout API; the
    // checkout id is the cart id), then the shopper sees the cart.
    apply.addEventListener('click', async (e) => {
      e.preventDefault();
      seen('offer_clicked');
      flush(true);
      const c = await cart();
      const r = c && await fetch('/api/storefront/checkouts/' + encodeURIComponent(c.id) + '/coupons', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ couponCode: o.code }),
      }).catch(() => null);
      if (r && r.ok) { location.href = '/cart.php'; return; }
      log('code not applied:', c ? (r ? 'HTTP ' + r.status : 'network') : 'no cart');
      status.textContent = c ? T.failed : T.noCart;
      select();
    });
    copy.addEventListener('click', () => {
      seen('offer_clicked');
      const c = navigator.clipboard;
      (c && c.writeText ? c.writeText(o.code) : Promise.reject(new Error('no clipboard API')))
        .then(() => { copy.textContent = T.copied; status.textContent = T.copied; })
        .catch((e) => { log('copy failed:', e && e.message); select(); }); // the shopper copies by hand
    });
    return x;
  };

  const dismissed = (root, code) => {
    try { sessionStorage.setItem(SEEN + code, '1'); } catch (e) { /* no storage */ }
    root.setAttribute('data-attune-offer-state', 'dismissed');
    root.hidden = true;
    log('offer dismissed', code);
  };

  // Fixed to the bottom of the viewport: never moves the page. Not modal, so it takes no focus.
  const banner = (o, T) => {
    const root = attr(el('div', 'attune-offer attune-offer--banner'), { role: 'region', 'aria-label': T.label });
    const x = fill(root, o, T, T.dismiss);
    x.addEventListener('click', () => dismissed(root, o.code));
    doc.body.appendChild(root);
    return root;
  };

  // Native modal dialog: the browser traps focus and closes it on Escape.
  const dialog = (o, T) => {
    const d = el('dialog', 'attune-offer attune-offer--dialog');
    if (typeof d.showModal !== 'function') return banner(o, T);
    const hid = 'attune-offer-h-' + String(o.id).replace(/[^\w-]/g, '');
    d.setAttribute('aria-labelledby', hid);
    const x = fill(d, o, T, T.close, hid);
    const prev = doc.activeElement;
    const end = () => {
      if (d.open) d.close();
      if (d.getAttribute('data-attune-offer-state') === 'dismissed') return;
      dismissed(d, o.code);
      if (prev && prev !== doc.body && typeof prev.focus === 'function' && doc.contains(prev)) try { prev.focus(); } catch (e) { /* gone */ }
    };
    x.addEventListener('click', end);
    d.addEventListener('click', (e) => { if (e.target === d) end(); }); // the backdrop
    d.addEventListener('close', end); // Escape
    doc.body.appendChild(d);
    try { d.showModal(); } catch (e) {
      log('showModal failed:', e.message);
      d.remove();
      return banner(o, T);
    }
    return d;
  };

  const offer = async () => {
    const slot = doc.querySelector('[data-attune-offer]');
    if (!slot) return;
    if (!vid) return log('no visitor id (refused): no offer');
    const p = new URLSearchParams();
    p.set('visitor', vid);
    const sub = minor(await cart());
    if (sub !== null) p.set('cart_subtotal', String(sub));
    let answer;
    try {
      const r = await call('/offer?' + p, () => ({ headers: { Accept: 'application/json' } }));
      if (r.status !== 200) throw new Error('HTTP ' + r.status);
      answer = await r.json();
      if (!answer || typeof answer !== 'object') throw new Error('bad answer');
    } catch (e) {
      return log('offer request failed:', e.message);
    }
    log('offer', answer.decision, answer.reason);
    try {
      const o = answer.offer;
      if (answer.decision !== 'offer' || !o || typeof o.code !== 'string' || !o.code) return;
      let seen = null;
      try { seen = sessionStorage.getItem(SEEN + o.code); } catch (e) { /* no storage */ }
      if (seen) return log('offer dismissed earlier this session:', o.code);
      const d = slot.dataset;
      const T = {
        label: d.attuneTextLabel || 'Special offer',
        use: d.attuneTextUseCode || 'Use code',
        copy: d.attuneTextCopy || 'Copy code',
        copied: d.attuneTextCopied || 'Copied',
        apply: d.attuneTextApply || 'Apply to cart',
        noCart: d.attuneTextNoCart || 'Add something to your cart, then use the code at checkout',
        failed: d.attuneTextFailed || 'The code could not be applied; use it at checkout',
        dismiss: d.attuneTextDismiss || 'Dismiss offer',
        close: d.attuneTextClose || 'Close',
      };
      style();
      const root = o.presentation === 'dialog' ? dialog(o, T) : banner(o, T);
      log('offer shown', o.id, root.tagName.toLowerCase());
    } catch (e) {
      log('offer not shown:', e.message);
    } finally {
      doc.dispatchEvent(new CustomEvent('attune:offer', { detail: answer }));
    }
  };
  offer();
})();
