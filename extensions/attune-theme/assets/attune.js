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
        localStorage.removeItem(KEY);
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
  let vid = visitor();
  doc.addEventListener('visitorConsentCollected', () => { vid = visitor(); });

  const load = async (sec) => {
    const items = sec.querySelector('.attune-recs__items');
    try {
      const p = new URLSearchParams();
      p.set('widget', sec.getAttribute('data-attune-widget').trim());
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
  scan(doc);
  // Theme editor re-renders sections in place.
  doc.addEventListener('shopify:section:load', (e) => scan(e.target));
})();
