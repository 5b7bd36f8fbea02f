/* Attune smart offer: one discount offer (bottom banner or modal dialog) for a visitor who
   consented. Needs attune.js (window.Attune.ready = visitor id promise). ES2017, no dependencies. */
(() => {
  'use strict';
  if (window.AttuneOffer) return; // loaded twice (app embed + app block): run once
  window.AttuneOffer = true;
  const doc = document;
  const cfg = { base: '/apps/attune', debug: false };
  try {
    const el = doc.getElementById('attune-config');
    if (el) Object.assign(cfg, JSON.parse(el.textContent));
  } catch (e) { /* keep defaults */ }
  cfg.base = String(cfg.base).replace(/\/+$/, '');
  const log = (...a) => { if (cfg.debug) console.info('[attune offer]', ...a); };
  const SEEN = 'attune_offer_dismissed:'; // + code, in sessionStorage

  // attune.js may run after us (both deferred, order not guaranteed): poll briefly for it.
  const ready = () => new Promise((done) => {
    const t0 = Date.now();
    const tick = () => {
      const A = window.Attune;
      if (A && A.ready && typeof A.ready.then === 'function') return done(A.ready);
      if (Date.now() - t0 > 5000) return done(null);
      setTimeout(tick, 100);
    };
    tick();
  });

  const el = (tag, cls, text) => {
    const e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = String(text); // never innerHTML: headline and body are merchant text
    return e;
  };
  const attr = (e, o) => { Object.keys(o).forEach((k) => e.setAttribute(k, o[k])); return e; };

  // Shared contents of banner and dialog; returns the close/dismiss button.
  const fill = (root, o, T, closeLabel, headId) => {
    attr(root, { 'data-attune-offer': String(o.id), 'data-attune-offer-state': 'shown' });
    const box = root.appendChild(el('div', 'attune-offer__inner'));
    const h = box.appendChild(el('h2', 'attune-offer__headline', o.headline || T.label));
    if (headId) h.id = headId;
    if (o.body) box.appendChild(el('p', 'attune-offer__body', o.body));
    const line = box.appendChild(el('p', 'attune-offer__code-line', T.use + ' '));
    const code = line.appendChild(el('code', 'attune-offer__code', o.code));
    const acts = box.appendChild(el('div', 'attune-offer__actions'));
    const copy = attr(acts.appendChild(el('button', 'attune-offer__btn attune-offer__copy', T.copy)), { type: 'button', 'data-attune-offer-copy': '' });
    const apply = attr(acts.appendChild(el('a', 'attune-offer__btn attune-offer__apply', T.apply)), { 'data-attune-offer-apply': '' });
    // Shopify's discount link: applies the code to the checkout session, then shows the cart.
    apply.href = '/discount/' + encodeURIComponent(o.code) + '?redirect=%2Fcart';
    const status = attr(box.appendChild(el('p', 'attune-offer__status')), { role: 'status', 'aria-live': 'polite', 'data-attune-offer-status': '' });
    const x = attr(box.appendChild(el('button', 'attune-offer__close')), { type: 'button', 'aria-label': closeLabel, 'data-attune-offer-dismiss': '' });
    attr(x.appendChild(el('span', '', '\u00d7')), { 'aria-hidden': 'true' });
    // Measurement: shown, then copied or applied (collecting a code is not a sale).
    const track = (type) => { try { window.Attune.track(type, { offer: String(o.id) }); } catch (e) { /* no tracker */ } };
    track('offer_viewed');
    apply.addEventListener('click', () => track('offer_clicked'));
    copy.addEventListener('click', () => {
      track('offer_clicked');
      const c = navigator.clipboard;
      (c && c.writeText ? c.writeText(o.code) : Promise.reject(new Error('no clipboard API')))
        .then(() => { copy.textContent = T.copied; status.textContent = T.copied; })
        .catch((e) => {
          // Clipboard refused: select the code so the shopper can copy it by hand.
          log('copy failed:', e && e.message);
          try { const s = getSelection(), r = doc.createRange(); r.selectNodeContents(code); s.removeAllRanges(); s.addRange(r); } catch (e2) { /* nothing more to do */ }
        });
    });
    return x;
  };

  const dismissed = (root, code) => {
    try { sessionStorage.setItem(SEEN + code, '1'); } catch (e) { /* no storage */ }
    root.setAttribute('data-attune-offer-state', 'dismissed');
    root.hidden = true;
    log('dismissed', code);
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
    // The close event comes a task later: mark the state at once when we close it ourselves.
    const end = () => {
      if (d.open) d.close();
      if (d.getAttribute('data-attune-offer-state') === 'dismissed') return;
      dismissed(d, o.code);
      if (prev && prev !== doc.body && typeof prev.focus === 'function' && doc.contains(prev)) try { prev.focus(); } catch (e) { /* gone */ }
    };
    x.addEventListener('click', end);
    d.addEventListener('click', (e) => { if (e.target === d) end(); }); // backdrop (the dialog has no padding)
    d.addEventListener('close', end); // Escape, or a form method="dialog" a theme adds
    doc.body.appendChild(d);
    try { d.showModal(); } catch (e) {
      log('showModal failed:', e.message);
      d.remove();
      return banner(o, T);
    }
    return d;
  };

  const run = async () => {
    const slot = doc.querySelector('[data-attune-offer-slot]');
    if (!slot) return log('no offer slot on this page');
    let id = null;
    try { id = await ready(); } catch (e) { /* treat as no consent */ }
    if (!id) return log('no visitor id (no consent, or attune.js missing): no offer');
    const p = new URLSearchParams();
    p.set('visitor', id);
    try {
      const r = await fetch('/cart.js', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      const c = r.ok ? await r.json() : null;
      if (c && Number.isFinite(c.total_price)) p.set('cart_subtotal', String(c.total_price));
    } catch (e) { /* no cart: ask without a subtotal */ }
    let answer;
    try {
      const r = await fetch(cfg.base + '/offer?' + p, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (r.status !== 200) throw new Error('HTTP ' + r.status);
      answer = await r.json();
      if (!answer || typeof answer !== 'object') throw new Error('bad answer');
    } catch (e) {
      return log('offer request failed:', e.message);
    }
    log('answer', answer.decision, answer.reason);
    try {
      const o = answer.offer;
      if (answer.decision !== 'offer' || !o || typeof o.code !== 'string' || !o.code) return;
      let seen = null;
      try { seen = sessionStorage.getItem(SEEN + o.code); } catch (e) { /* no storage */ }
      if (seen) return log('dismissed earlier this session:', o.code);
      const d = slot.dataset;
      const T = {
        label: d.attuneTextLabel || 'Special offer',
        use: d.attuneTextUseCode || 'Use code',
        copy: d.attuneTextCopy || 'Copy code',
        copied: d.attuneTextCopied || 'Copied',
        apply: d.attuneTextApply || 'Apply to cart',
        dismiss: d.attuneTextDismiss || 'Dismiss offer',
        close: d.attuneTextClose || 'Close',
      };
      const root = o.presentation === 'dialog' ? dialog(o, T) : banner(o, T);
      log('shown', o.id, root.tagName.toLowerCase());
    } catch (e) {
      log('offer not shown:', e.message);
    } finally {
      doc.dispatchEvent(new CustomEvent('attune:offer', { detail: answer }));
    }
  };

  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', () => run(), { once: true });
  else run();
})();
