// Attune web pixel. Runs in Shopify's strict sandbox (a web worker: no DOM), only for visitors
// whose consent allows analytics, and posts batches of events to Attune's events endpoint.
import { register } from '@shopify/web-pixels-extension';

const KEY = 'attune_vid';
const MAX_BATCH = 20;

register(async ({ analytics, browser, init, settings }) => {
  const endpoint = String(settings.endpoint || '');
  const shop = init && init.data && init.data.shop ? init.data.shop.myshopifyDomain : '';
  if (!/^https:\/\//.test(endpoint) || !shop) return;

  // The same first-party id the theme's app embed uses, so both describe one visitor.
  let visitor = null;
  try {
    visitor = await browser.localStorage.getItem(KEY);
    if (!visitor || !/^[0-9a-f-]{16,64}$/i.test(visitor)) {
      visitor = crypto.randomUUID();
      await browser.localStorage.setItem(KEY, visitor);
    }
    // Tells the app embed the pixel is reporting, so it does not send the same events twice.
    await browser.localStorage.setItem('attune_pixel', String(Date.now()));
  } catch (e) {
    return;
  }

  let queue = [];
  let timer = null;
  const post = async (body) => {
    // The sandbox's sendBeacon answers with a promise: a bare call is always truthy, which
    // would hide a refused beacon and skip the fallback.
    let queued = false;
    try { queued = await browser.sendBeacon(endpoint, body); } catch (e) { queued = false; }
    if (queued) return;
    // text/plain: no CORS preflight.
    await fetch(endpoint, { method: 'POST', body, keepalive: true, headers: { 'Content-Type': 'text/plain' } }).catch(() => {});
  };
  const flush = () => {
    clearTimeout(timer);
    timer = null;
    while (queue.length) post(JSON.stringify({ shop, visitor, events: queue.splice(0, MAX_BATCH) }));
  };
  const push = (event, type, props) => {
    queue.push(Object.assign({ id: String(event.id).slice(0, 64).replace(/[^A-Za-z0-9._-]/g, '_'), type, at: Date.parse(event.timestamp) || Date.now() }, props));
    if (queue.length >= MAX_BATCH) flush();
    else if (!timer) timer = setTimeout(flush, 1000);
  };
  // Minor units as the server counts them (server/src/money.rs): not every currency has cents,
  // so a yen price times 100 would be a hundred times too large.
  const ZERO_DECIMAL = ['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'HUF', 'XOF', 'XAF'];
  const THREE_DECIMAL = ['BHD', 'KWD', 'OMR', 'JOD', 'TND'];
  const minor = (money) => {
    const amount = money ? Number(money.amount) : NaN;
    // The server refuses a whole batch over one bad value: leave a strange amount out instead.
    if (!money || money.amount === null || !(amount >= 0) || !Number.isFinite(amount)) return undefined;
    const code = String(money.currencyCode || '').toUpperCase();
    const exp = ZERO_DECIMAL.includes(code) ? 0 : THREE_DECIMAL.includes(code) ? 3 : 2;
    return Math.round(amount * 10 ** exp);
  };
  const productId = (variant) => (variant && variant.product && variant.product.id ? String(variant.product.id).replace(/\D/g, '') : '');
  const path = (event) => {
    try { return new URL(event.context.document.location.href).pathname.slice(0, 500); } catch (e) { return undefined; }
  };

  analytics.subscribe('page_viewed', (e) => push(e, 'page_viewed', { url: path(e) }));
  analytics.subscribe('product_viewed', (e) => {
    const product = productId(e.data.productVariant);
    if (product) push(e, 'product_viewed', { product, value_minor: minor(e.data.productVariant.price) });
  });
  analytics.subscribe('collection_viewed', (e) => {
    const c = e.data.collection;
    if (c && c.id) push(e, 'collection_viewed', { collection: String(c.id).replace(/\D/g, '') });
  });
  analytics.subscribe('search_submitted', (e) => {
    const q = e.data.searchResult && e.data.searchResult.query;
    if (q) push(e, 'search_submitted', { query: String(q).slice(0, 200) });
  });
  analytics.subscribe('product_added_to_cart', (e) => {
    const line = e.data.cartLine;
    const product = line && productId(line.merchandise);
    if (product) push(e, 'product_added_to_cart', { product, quantity: line.quantity, value_minor: minor(line.cost && line.cost.totalAmount) });
  });
  analytics.subscribe('checkout_started', (e) => {
    const c = e.data.checkout;
    push(e, 'checkout_started', { value_minor: minor(c && c.totalPrice), cart_items: c && c.lineItems ? c.lineItems.length : undefined });
  });
  analytics.subscribe('checkout_completed', (e) => {
    const c = e.data.checkout;
    push(e, 'checkout_completed', { value_minor: minor(c && c.totalPrice), cart_items: c && c.lineItems ? c.lineItems.length : undefined });
    flush();
  });
});
