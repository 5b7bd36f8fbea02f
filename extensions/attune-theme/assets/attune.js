/* Attune storefront script: anonymous visitor id + recommendation widgets. ES2017, no dependencies. */
(() => {
  'use strict';
  if (window.Attune) return; // loaded twice (app embed + app block): run once
  const doc = document;
  const me = doc.currentScript;
  const S = window.Shopify || {};
  const cfg = { base: '/apps/attune', shop: S.shop || '', debug: false };
  try {
    const el = doc.getElementById('attune-config');
    if (el) Object.assign(cfg, JSON.parse(el.textContent));
  } catch (e) { /* keep defaults */ }
  if (me && me.dataset.attuneBase) cfg.base = me.dataset.attuneBase;
  if (me && me.dataset.attuneShop) cfg.shop = me.dataset.attuneShop;
  cfg.base = String(cfg.base).replace(/\/+$/, '');
  const log = (...a) => { if (cfg.debug) console.info('[attune]', ...a); };
  const KEY = 'attune_vid';
  const Attune = (window.Attune = { visitorId: null });

  // Visitor consent: Shopify's Customer Privacy API decides; without it (no Shopify) allowed.
  const allowed = () => new Promise((done) => {
    const check = () => {
      try { done(S.customerPrivacy.analyticsProcessingAllowed() !== false); } catch (e) { done(false); }
    };
    if (S.customerPrivacy) return check();
    if (typeof S.loadFeatures !== 'function') return done(true); // no consent API (e.g. demo store)
    const t = setTimeout(() => done(false), 2000);
    try {
      S.loadFeatures([{ name: 'consent-tracking-api', version: '0.1' }], (err) => {
        clearTimeout(t);
        if (err) done(false); else check();
      });
    } catch (e) { clearTimeout(t); done(false); }
  });

  const randomId = () => {
    const c = window.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    const b = c.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, (x) => (x + 256).toString(16).slice(1)).join('');
  };

  const visitor = async () => {
    let ok = false;
    try { ok = await allowed(); } catch (e) { /* treat as refused */ }
    let id = null;
    try {
      if (!ok) {
        // Refused (perhaps after agreeing): the server forgets what this browser sent.
        const old = localStorage.getItem(KEY);
        localStorage.removeItem(KEY);
        if (old) {
          send({ visitor: old, shop: cfg.shop, consent: { analytics: false }, events: [] });
          // Else the id rides on the cart into an order, whose webhook would link it again.
          cart('');
        }
      } else {
        id = localStorage.getItem(KEY);
        if (!id || !/^[0-9a-f-]{16,64}$/i.test(id)) {
          id = randomId();
          localStorage.setItem(KEY, id);
        }
      }
    } catch (e) {
      // Storage blocked: an id for this page view only (still nothing without consent).
      if (ok) try { id = randomId(); } catch (e2) { id = null; }
    }
    Attune.visitorId = id;
    log('visitor', id, 'consent', ok);
    return id;
  };
  const send = (body, beacon) => {
    const url = cfg.base + '/events', data = JSON.stringify(body);
    // text/plain: no CORS preflight, and sendBeacon survives the page closing.
    if (beacon && navigator.sendBeacon && navigator.sendBeacon(url, data)) return Promise.resolve();
    return fetch(url, { method: 'POST', body: data, keepalive: true, credentials: 'same-origin', headers: { 'Content-Type': 'text/plain' } })
      .catch((e) => log('events not sent:', e.message));
  };
  // The visitor id rides on the cart into the order, which reaches us signed: that links this
  // browser to the customer who checks out. Shopify drops an attribute set to ''.
  const cart = (id) => {
    if (!cfg.shop) return;
    fetch('/cart/update.js', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ attributes: { _attune_visitor: id } }) })
      .then((r) => { if (r.ok) try { sessionStorage.setItem('attune_cart', id); } catch (e) { /* no storage */ } })
      .catch(() => {});
  };
  // Attune.ready: the visitor id promise (null without consent), for attune-offer.js and themes.
  let vid = Attune.ready = visitor();
  doc.addEventListener('visitorConsentCollected', () => { vid = Attune.ready = visitor(); });

  // Behaviour events, batched. When the web pixel reported in the last day it sends them
  // (it also sees checkout), so the embed stays quiet to avoid counting twice.
  const Q = [];
  let seq = 0, timer = 0, sess = null, pixel = false;
  try { pixel = Date.now() - (+localStorage.getItem('attune_pixel') || 0) < 864e5; } catch (e) { /* no storage */ }
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
    const id = await vid;
    if (!id) { Q.length = 0; return; } // no consent: nothing leaves the page
    while (Q.length) {
      const body = { visitor: id, shop: cfg.shop, events: Q.splice(0, 20) };
      if (sess === null) sess = session();
      if (sess) { body.context = sess; sess = false; }
      await send(body, beacon);
    }
  };
  const track = Attune.track = (type, props) => {
    Q.push(Object.assign({ id: Date.now().toString(36) + '-' + (seq++) + '-' + Math.random().toString(36).slice(2, 8), type, at: Date.now() }, props));
    if (Q.length >= 20) flush(); else if (!timer) timer = setTimeout(flush, 1000);
  };
  window.addEventListener('pagehide', () => flush(true));
  doc.addEventListener('visibilitychange', () => { if (doc.visibilityState === 'hidden') flush(true); });
  if (!pixel) {
    track('page_viewed', { url: location.pathname.slice(0, 500) });
    if (cfg.product) track('product_viewed', { product: String(cfg.product) });
    if (cfg.collection) track('collection_viewed', { collection: String(cfg.collection) });
    if (cfg.search) track('search_submitted', { query: String(cfg.search).slice(0, 200) });
    doc.addEventListener('submit', (e) => {
      const f = e.target;
      if (!cfg.product || !f || !/\/cart\/add/.test(f.getAttribute('action') || '')) return;
      const q = f.querySelector('[name="quantity"]');
      track('product_added_to_cart', { product: String(cfg.product), quantity: Math.max(1, parseInt(q && q.value, 10) || 1) });
      flush(true);
    }, true);
  }
  vid.then((id) => {
    if (!id) return;
    try { if (sessionStorage.getItem('attune_cart') === id) return; } catch (e) { /* no storage */ }
    cart(id);
  });

  const load = async (sec) => {
    const items = sec.querySelector('.attune-recs__items');
    const widget = sec.getAttribute('data-attune-widget').trim();
    // In view, whatever comes back: holdout visitors count too, so they can be compared.
    track('recommendation_viewed', { widget });
    try {
      const p = new URLSearchParams();
      p.set('widget', widget);
      const product = (sec.getAttribute('data-attune-product') || '').trim();
      if (product) p.set('product', product);
      const id = await vid;
      if (id) p.set('visitor', id);
      p.set('format', 'html');
      const r = await fetch(cfg.base + '/recommendations?' + p, {
        credentials: 'same-origin',
        headers: { Accept: 'text/html' },
      });
      if (r.status !== 200) throw new Error('HTTP ' + r.status);
      const tpl = doc.createElement('template');
      tpl.innerHTML = await r.text();
      const grid = tpl.content.querySelector('[data-attune-count]');
      const n = grid ? parseInt(grid.getAttribute('data-attune-count'), 10) : 0;
      if (!items || !(n > 0) || !tpl.content.querySelector('.attune-card')) throw new Error('no products');
      items.textContent = '';
      items.appendChild(tpl.content);
      items.setAttribute('aria-busy', 'false');
      sec.setAttribute('data-attune-state', 'done');
      log('widget', p.get('widget'), n, 'products');
    } catch (e) {
      sec.hidden = true; // never leave an empty skeleton behind
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

  const scan = (root) => {
    root.querySelectorAll('[data-attune-widget]').forEach((sec) => {
      if (sec.hasAttribute('data-attune-state')) return;
      sec.setAttribute('data-attune-state', 'pending');
      if (!(sec.getAttribute('data-attune-widget') || '').trim()) { sec.hidden = true; return; }
      if (io) io.observe(sec); else load(sec);
    });
  };
  doc.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('[data-attune-widget] a[data-attune-product]');
    const sec = a && a.closest('section[data-attune-widget]');
    if (!sec) return;
    track('recommendation_clicked', { widget: sec.getAttribute('data-attune-widget').trim(), product: a.getAttribute('data-attune-product') });
    flush(true);
  }, true);
  scan(doc);
  // Theme editor re-renders sections in place.
  doc.addEventListener('shopify:section:load', (e) => scan(e.target));
})();
