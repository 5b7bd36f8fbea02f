// Runs Attune's real web pixel (extensions/attune-pixel/src/index.js) outside Shopify, against a
// running Attune server, the way Shopify's strict sandbox would: `register` from a stub of
// '@shopify/web-pixels-extension', async `browser.localStorage`, `browser.sendBeacon` answering
// with a promise, `init.data.shop`, `settings.endpoint`, and Shopify's standard events with
// realistic payloads. No npm packages: Node's own module hooks map the import to the stub.
//
//   node tests/pixel/harness.mjs <endpoint> <shop> [--products=A,B] [--collection=C]
//        [--currency=USD|JPY] [--rounds=N] [--beacon-fails]
//
// Every round dispatches the same events (same ids and timestamps, as a replayed page would),
// so rounds after the first must all come back as duplicates. Prints one JSON report on stdout;
// exits 1 when the pixel threw or posted somewhere other than its endpoint.
import { register as registerHooks } from 'node:module';

registerHooks('./hooks.mjs', import.meta.url);

const { registered } = await import('./web-pixels-extension.mjs');

const [endpointArg, shop, ...flags] = process.argv.slice(2);
if (!endpointArg || !shop) {
  console.error('usage: node harness.mjs <endpoint> <shop> [--products=A,B] [--collection=C] [--currency=USD|JPY] [--rounds=N] [--beacon-fails]');
  process.exit(2);
}
const flag = (name, fallback) => {
  const f = flags.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (!f) return fallback;
  return f.includes('=') ? f.slice(f.indexOf('=') + 1) : true;
};
const [productA, productB] = String(flag('products', '1001,1002')).split(',');
const collectionId = String(flag('collection', '2001'));
const currency = String(flag('currency', 'USD'));
const rounds = Number(flag('rounds', 2));
const beaconFails = flag('beacon-fails', false) === true;

// Major units as Shopify's MoneyV2 gives them; the test expects the same figures in minor units.
const AMOUNTS = {
  USD: { unit: 19.99, line: 39.98, total: 45.5 },
  JPY: { unit: 1500, line: 3000, total: 3400 },
};
const amounts = AMOUNTS[currency];
if (!amounts) {
  console.error(`no sample amounts for ${currency}`);
  process.exit(2);
}

// Shopify always configures an https endpoint and the pixel insists on one; the local server
// speaks plain http, so the harness's network layer plays the TLS terminator.
const realEndpoint = new URL(endpointArg);
const shownEndpoint = new URL(endpointArg);
shownEndpoint.protocol = 'https:';
const errors = [];
const posts = [];
const pending = new Set();
const nodeFetch = globalThis.fetch;
let round = 0;

const deliver = (transport, url, body, headers) => {
  const target = new URL(String(url));
  if (target.origin !== shownEndpoint.origin || target.pathname !== shownEndpoint.pathname) {
    errors.push(`the pixel posted to ${target.href}, not its endpoint ${shownEndpoint.href}`);
    return Promise.resolve(new Response(null, { status: 599 }));
  }
  target.protocol = realEndpoint.protocol;
  target.host = realEndpoint.host;
  const record = { round, transport, status: 0, request: null, answer: null };
  try { record.request = JSON.parse(body); } catch (e) { errors.push(`the pixel sent a body that is not JSON: ${body}`); }
  posts.push(record);
  const p = nodeFetch(target, { method: 'POST', body, headers })
    .then(async (r) => {
      record.status = r.status;
      const text = await r.text();
      try { record.answer = JSON.parse(text); } catch (e) { record.answer = text; }
      return new Response(text, { status: r.status, headers: r.headers });
    })
    .catch((e) => {
      errors.push(`POST ${target.href} failed: ${e.message}`);
      throw e;
    })
    .finally(() => pending.delete(p));
  pending.add(p);
  return p;
};

// A web worker's fetch: the fallback when a beacon is refused.
globalThis.fetch = (url, options = {}) => {
  const headers = options.headers || {};
  return deliver('fetch', url, options.body, headers);
};

const storage = new Map();
const localStorage = {
  getItem: async (k) => (storage.has(k) ? storage.get(k) : null),
  setItem: async (k, v) => { storage.set(k, String(v)); },
  removeItem: async (k) => { storage.delete(k); },
  clear: async () => { storage.clear(); },
  key: async (i) => [...storage.keys()][i] ?? null,
  length: async () => storage.size,
};
const browser = {
  localStorage,
  sessionStorage: localStorage,
  cookie: { get: async () => '', set: async () => {} },
  // Like navigator.sendBeacon: true once queued, before any answer; text/plain like a string body.
  sendBeacon: async (url, body = '') => {
    if (beaconFails) return false;
    deliver('beacon', url, body, { 'Content-Type': 'text/plain;charset=UTF-8' }).catch(() => {});
    return true;
  },
};

const subscribers = new Map();
const analytics = {
  subscribe: (name, cb) => {
    if (!subscribers.has(name)) subscribers.set(name, []);
    subscribers.get(name).push(cb);
  },
};

const origin = `https://${shop}`;
const location = (path) => {
  const u = new URL(path, origin);
  return { hash: u.hash, host: u.host, hostname: u.hostname, href: u.href, origin: u.origin, pathname: u.pathname, port: u.port, protocol: u.protocol, search: u.search };
};
const context = (path) => ({
  document: { location: location(path), referrer: 'https://www.google.com/', characterSet: 'UTF-8', title: 'Attune Demo Store' },
  navigator: { cookieEnabled: true, language: 'en-US', languages: ['en-US', 'en'], userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36' },
  window: {
    innerHeight: 900, innerWidth: 1280, outerHeight: 1000, outerWidth: 1280, pageXOffset: 0, pageYOffset: 0,
    location: location(path), origin, screen: { height: 1000, width: 1280 }, screenX: 0, screenY: 0, scrollX: 0, scrollY: 0,
  },
});
const money = (amount) => ({ amount, currencyCode: currency });
const variant = (product, style) => ({
  id: style === 'gid' ? `gid://shopify/ProductVariant/${product}01` : `${product}01`,
  image: { src: `${origin}/cdn/shop/files/${product}.jpg` },
  price: money(amounts.unit),
  product: {
    id: style === 'gid' ? `gid://shopify/Product/${product}` : String(product),
    title: 'Sample product', untranslatedTitle: 'Sample product', vendor: 'Attune Demo', type: 'Homewares', url: `/products/sample-${product}`,
  },
  sku: `SKU-${product}`,
  title: 'Default Title',
  untranslatedTitle: 'Default Title',
});
const clientId = crypto.randomUUID();
let seq = 0;
const started = Date.now();
const event = (name, path, data) => ({
  id: `sh-${crypto.randomUUID()}`,
  clientId,
  name,
  seq: ++seq,
  type: 'standard',
  timestamp: new Date(started - 60_000 + seq * 1000).toISOString(),
  context: context(path),
  data,
});
// Personal data a checkout carries: none of it may reach Attune.
const buyer = {
  email: 'pat.doe@example.com',
  phone: '+15555550123',
  address: { address1: '1 Harness Street', city: 'Testville', country: 'US', countryCode: 'US', firstName: 'Pat', lastName: 'Doe', phone: '+15555550123', province: 'NY', zip: '10001' },
};
const checkout = (completed) => ({
  attributes: [{ key: '_attune_visitor', value: 'from-cart' }],
  billingAddress: buyer.address,
  currencyCode: currency,
  discountApplications: [],
  email: buyer.email,
  phone: buyer.phone,
  lineItems: [{ id: `${productB}-line`, quantity: 2, title: 'Sample product', variant: variant(productB, 'numeric'), discountAllocations: [], finalLinePrice: money(amounts.line) }],
  order: completed ? { id: 'gid://shopify/Order/5551234', customer: { id: 'gid://shopify/Customer/777', isFirstOrder: true } } : null,
  shippingAddress: buyer.address,
  shippingLine: { price: money(0) },
  subtotalPrice: money(amounts.line),
  token: 'f1e2d3c4b5a6',
  totalPrice: money(amounts.total),
  totalTax: money(0),
  transactions: completed ? [{ amount: money(amounts.total), gateway: 'manual', paymentMethod: { name: 'Cash', type: 'offsite' } }] : [],
});
const browse = [
  event('page_viewed', '/collections/frontpage?sort_by=best-selling', {}),
  event('product_viewed', `/products/sample-${productA}?variant=1`, { productVariant: variant(productA, 'gid') }),
  event('collection_viewed', '/collections/frontpage', { collection: { id: collectionId, title: 'Frontpage', productVariants: [variant(productA, 'gid')] } }),
  event('search_submitted', '/search?q=wool+throw', { searchResult: { query: 'wool throw', productVariants: [variant(productA, 'gid')] } }),
  event('product_added_to_cart', `/products/sample-${productB}`, {
    cartLine: { cost: { totalAmount: money(amounts.line) }, merchandise: variant(productB, 'numeric'), quantity: 2 },
  }),
];
const buy = [
  event('checkout_started', '/checkouts/cn/f1e2d3c4b5a6', { checkout: checkout(false) }),
  event('checkout_completed', '/checkouts/cn/f1e2d3c4b5a6/thank-you', { checkout: checkout(true) }),
];

const dispatch = (e) => {
  for (const cb of subscribers.get(e.name) || []) {
    try {
      const r = cb(structuredClone(e));
      if (r && typeof r.catch === 'function') r.catch((err) => errors.push(`${e.name} handler failed: ${err && err.stack}`));
    } catch (err) {
      errors.push(`${e.name} handler threw: ${err && err.stack}`);
    }
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const settle = async () => {
  while (pending.size) await Promise.allSettled([...pending]);
};

process.on('unhandledRejection', (e) => errors.push(`unhandled rejection: ${e && e.stack}`));

await import(new URL('../../extensions/attune-pixel/src/index.js', import.meta.url).href);
const pixel = registered();
if (!pixel) {
  console.error('the pixel never called register');
  process.exit(1);
}
await pixel({
  analytics,
  browser,
  init: {
    context: context('/'),
    data: {
      customer: null,
      cart: null,
      shop: { name: 'Attune Demo', myshopifyDomain: shop, countryCode: 'US', storefrontUrl: origin, paymentSettings: { currencyCode: currency } },
      purchasingCompany: null,
    },
    customerPrivacy: { analyticsProcessingAllowed: true, marketingAllowed: false, preferencesProcessingAllowed: true, saleOfDataAllowed: false },
  },
  settings: { endpoint: shownEndpoint.href },
  customerPrivacy: { subscribe: () => {} },
  _pixelInfo: { id: '1', type: 'APP', status: 'connected', runtimeContext: 'STRICT' },
});

for (round = 1; round <= rounds; round++) {
  browse.forEach(dispatch);
  // Longer than the pixel's batching delay: these go out on its timer.
  await sleep(1300);
  // checkout_completed flushes at once: the thank-you page may be the last one the shopper sees.
  buy.forEach(dispatch);
  await sleep(50);
  await settle();
}
await sleep(1300);
await settle();

const report = {
  subscribed: [...subscribers.keys()].sort(),
  visitor: await localStorage.getItem('attune_vid'),
  pixel_mark: await localStorage.getItem('attune_pixel'),
  dispatched: [...browse, ...buy].map((e) => ({ id: e.id, name: e.name, timestamp: e.timestamp })),
  posts,
  errors,
};
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
process.exit(errors.length ? 1 : 0);
