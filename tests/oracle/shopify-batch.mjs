// Batch runner around Shopify's own Node library (@shopify/shopify-api 15.0.0), for the
// differential tests: one JSON case per input line, one JSON verdict per output line.
// Installed beside the oracle's node_modules by scripts/setup.sh. Each case:
//   {"id", "op", "secret", "key", ...}  with op one of
//   query_sign {query}      -> hex hmac (admin query)      query_verify {query}
//   proxy_sign {query}      -> hex signature (app proxy)   proxy_verify {query}
//   webhook_verify {body, headers}                          jwt_verify {token}
// `query` is a raw query string, parsed as a Node web framework would (repeated keys -> arrays).
import '@shopify/shopify-api/adapters/node';
import {shopifyApi, ApiVersion, LogSeverity} from '@shopify/shopify-api';
import {generateLocalHmac} from './node_modules/@shopify/shopify-api/dist/esm/lib/utils/hmac-validator.mjs';
import readline from 'node:readline';

const apis = new Map();
function api(key, secret) {
  const id = `${key}\u0000${secret}`;
  if (!apis.has(id)) {
    apis.set(id, shopifyApi({apiKey: key, apiSecretKey: secret, scopes: ['read_products'], hostName: 'app.example',
      apiVersion: ApiVersion.October25, isEmbeddedApp: true, logger: {level: LogSeverity.Error, log: () => {}}}));
  }
  return apis.get(id);
}

function parseQuery(raw) {
  const out = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (k in out) out[k] = [].concat(out[k], v); else out[k] = v;
  }
  return out;
}

async function run(c) {
  const shopify = api(c.key ?? 'test_key', c.secret ?? 'test_secret_key');
  switch (c.op) {
    case 'query_sign': return generateLocalHmac(shopify.config)(parseQuery(c.query), 'admin');
    case 'proxy_sign': return generateLocalHmac(shopify.config)(parseQuery(c.query), 'appProxy');
    case 'query_verify': return await shopify.utils.validateHmac(parseQuery(c.query));
    case 'proxy_verify': return await shopify.utils.validateHmac(parseQuery(c.query), {signator: 'appProxy'});
    case 'webhook_verify': {
      const r = await shopify.webhooks.validate({rawBody: c.body,
        rawRequest: {headers: Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k.toLowerCase(), v])), method: 'POST', url: '/webhooks'},
        rawResponse: {}});
      return r.valid;
    }
    case 'jwt_verify': return (await shopify.session.decodeSessionToken(c.token)).dest;
    default: throw new Error(`unknown op ${c.op}`);
  }
}

const rl = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
for await (const line of rl) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  let out;
  try { out = {id: c.id, ok: true, result: await run(c)}; }
  catch (e) { out = {id: c.id, ok: false, error: `${e.constructor.name}: ${e.message}`}; }
  process.stdout.write(JSON.stringify(out) + '\n');
}
