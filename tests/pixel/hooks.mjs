// Module hooks for the harness: the pixel's import of Shopify's package resolves to the local
// stub, and the pixel's source (a .js file without "type": "module", as Shopify's CLI bundles
// it) is read as an ES module. Everything else loads as usual.
const STUB = new URL('./web-pixels-extension.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === '@shopify/web-pixels-extension') return { url: STUB, shortCircuit: true };
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.endsWith('/extensions/attune-pixel/src/index.js')) {
    return next(url, { ...context, format: 'module' });
  }
  return next(url, context);
}
