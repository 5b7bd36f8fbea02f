// Stands in for '@shopify/web-pixels-extension' (resolved here by hooks.mjs). Shopify's
// `register` hands the pixel's callback to the sandbox; this one hands it to the harness.
let callback = null;

export function register(cb) {
  if (typeof cb !== 'function') throw new TypeError('register expects a function');
  if (callback) throw new Error('the pixel called register twice');
  callback = cb;
}

export function registered() {
  return callback;
}
