#!/usr/bin/env node
// Structural checker for a Shopify theme app extension folder (complements theme-check, which
// does not validate block `target` values or duplicate setting ids).
//
//   node scripts/check-extension.mjs extensions/attune-theme   # check one extension
//   node scripts/check-extension.mjs --self-test               # prove the checker rejects bad input
//
// Prints one line per problem ("<file>: <field>: <message>") and exits 1, or prints
// "extension ok: N blocks" and exits 0. Node >= 20, no dependencies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TARGETS = ['section', 'head', 'body', 'compliance_head'];
const FOLDERS = {
  assets: ['.jpg', '.jpeg', '.json', '.js', '.css', '.png', '.svg', '.wasm'],
  blocks: ['.liquid'],
  snippets: ['.liquid'],
  locales: ['.json'],
};
const TOP_FILES = ['shopify.extension.toml'];
const MAX_JS = 10_000;
const MAX_CSS = 100_000;
const MAX_TOTAL = 10 * 1024 * 1024;
const MAX_LIQUID = 500 * 1024;
const MAX_BLOCKS = 30;
// Setting types that carry no value and so need no id.
const SIDEBAR_TYPES = ['header', 'paragraph'];
// Liquid tags theme-check's AppBlockValidTags forbids in app blocks/snippets.
const FORBIDDEN_TAGS = ['javascript', 'stylesheet', 'include', 'layout', 'section', 'sections'];

const ext = (f) => {
  const m = /(\.[^./]+)$/.exec(f);
  return m ? m[1].toLowerCase() : '';
};

function readJson(file, problems, rel) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    problems.push(`${rel}: json: invalid JSON (${e.message})`);
    return undefined;
  }
}

// Look up "a.b.c" in a nested object.
const lookup = (obj, key) => key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);

/** Check an extension folder. Returns { problems: string[], blocks: number }. */
export function checkExtension(root) {
  const problems = [];
  const add = (file, field, msg) => problems.push(`${file}: ${field}: ${msg}`);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    add(root, 'path', 'not a directory');
    return { problems, blocks: 0 };
  }

  // Layout: allowed top-level entries and file extensions per folder.
  const files = {}; // folder -> [names]
  let total = 0;
  let liquid = 0;
  for (const name of fs.readdirSync(root).sort()) {
    const full = path.join(root, name);
    const st = fs.statSync(full);
    if (st.isFile()) {
      if (!TOP_FILES.includes(name)) add(name, 'layout', 'file not allowed at the top level');
      total += st.size;
      continue;
    }
    if (!FOLDERS[name]) {
      add(name + '/', 'layout', `folder not allowed (allowed: ${Object.keys(FOLDERS).join(', ')})`);
      continue;
    }
    files[name] = [];
    for (const f of fs.readdirSync(full).sort()) {
      const rel = `${name}/${f}`;
      const fst = fs.statSync(path.join(full, f));
      if (!fst.isFile()) {
        add(rel, 'layout', 'nested folders are not allowed');
        continue;
      }
      total += fst.size;
      if (!FOLDERS[name].includes(ext(f))) {
        add(rel, 'extension', `"${ext(f) || '(none)'}" not allowed in ${name}/ (allowed: ${FOLDERS[name].join(' ')})`);
        continue;
      }
      files[name].push(f);
      if (ext(f) === '.liquid') liquid += fst.size;
      if (name === 'assets' && ext(f) === '.js' && fst.size > MAX_JS)
        add(rel, 'size', `${fst.size} bytes > ${MAX_JS} bytes allowed for JavaScript`);
      if (name === 'assets' && ext(f) === '.css' && fst.size > MAX_CSS)
        add(rel, 'size', `${fst.size} bytes > ${MAX_CSS} bytes allowed for CSS`);
    }
  }
  if (total > MAX_TOTAL) add('.', 'size', `extension is ${total} bytes > ${MAX_TOTAL}`);
  if (liquid > MAX_LIQUID) add('.', 'size', `Liquid (blocks + snippets) is ${liquid} bytes > ${MAX_LIQUID}`);

  // shopify.extension.toml: minimal top-level key parse.
  const tomlPath = path.join(root, 'shopify.extension.toml');
  if (!fs.existsSync(tomlPath)) {
    add('shopify.extension.toml', 'file', 'missing');
  } else {
    const keys = {};
    for (const line of fs.readFileSync(tomlPath, 'utf8').split(/\r?\n/)) {
      if (/^\s*\[/.test(line)) break; // only the top-level table
      const m = /^\s*([A-Za-z0-9_-]+)\s*=\s*"([^"]*)"\s*(#.*)?$/.exec(line);
      if (m) keys[m[1]] = m[2];
    }
    if (keys.type !== 'theme') add('shopify.extension.toml', 'type', `must be "theme" (got ${JSON.stringify(keys.type)})`);
    if (!keys.name) add('shopify.extension.toml', 'name', 'missing or empty');
  }

  // Locales: valid JSON; the default schema locale resolves "t:" keys.
  let schemaLocale;
  for (const f of files.locales || []) {
    const data = readJson(path.join(root, 'locales', f), problems, `locales/${f}`);
    if (f.endsWith('.default.schema.json')) schemaLocale = data;
  }
  const resolve = (rel, field, v) => {
    if (typeof v !== 'string' || !v.startsWith('t:')) return v;
    const found = lookup(schemaLocale, v.slice(2));
    if (typeof found !== 'string') {
      add(rel, field, `translation "${v}" not found in locales/*.default.schema.json`);
      return v;
    }
    return found;
  };

  // Blocks.
  const blocks = files.blocks || [];
  if (blocks.length === 0) add('blocks/', 'layout', 'no blocks');
  if (blocks.length > MAX_BLOCKS) add('blocks/', 'layout', `${blocks.length} blocks > ${MAX_BLOCKS}`);
  const names = new Map();
  const assets = new Set(files.assets || []);
  for (const f of blocks) {
    const rel = `blocks/${f}`;
    const src = fs.readFileSync(path.join(root, 'blocks', f), 'utf8');
    const tagRe = /\{%-?\s*(schema|endschema)\s*-?%\}/g;
    const tags = [...src.matchAll(tagRe)];
    if (tags.length === 0) {
      add(rel, 'schema', 'missing {% schema %} ... {% endschema %}');
      continue;
    }
    if (tags.length !== 2 || tags[0][1] !== 'schema' || tags[1][1] !== 'endschema') {
      add(rel, 'schema', 'expected exactly one {% schema %} ... {% endschema %} pair');
      continue;
    }
    if (src.slice(tags[1].index + tags[1][0].length).trim() !== '')
      add(rel, 'schema', 'the {% schema %} tag must come last in the file');
    for (const m of src.slice(0, tags[0].index).matchAll(/\{%-?\s*([a-z_]+)/g))
      if (FORBIDDEN_TAGS.includes(m[1])) add(rel, 'liquid', `tag {% ${m[1]} %} is not allowed in app blocks`);
    const json = src.slice(tags[0].index + tags[0][0].length, tags[1].index);
    let schema;
    try {
      schema = JSON.parse(json);
    } catch (e) {
      add(rel, 'schema', `invalid JSON (${e.message})`);
      continue;
    }
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
      add(rel, 'schema', 'must be a JSON object');
      continue;
    }
    // name
    if (typeof schema.name !== 'string' || !schema.name.trim()) {
      add(rel, 'name', 'missing or empty');
    } else {
      const name = resolve(rel, 'name', schema.name);
      if (names.has(name)) add(rel, 'name', `duplicate block name "${name}" (also in ${names.get(name)})`);
      else names.set(name, rel);
    }
    // target
    if (!TARGETS.includes(schema.target))
      add(rel, 'target', `must be one of ${TARGETS.join(', ')} (got ${JSON.stringify(schema.target)})`);
    // settings
    if (schema.settings !== undefined && !Array.isArray(schema.settings)) {
      add(rel, 'settings', 'must be an array');
    } else {
      const ids = new Set();
      (schema.settings || []).forEach((s, i) => {
        const field = `settings[${i}]`;
        if (!s || typeof s !== 'object') return add(rel, field, 'must be an object');
        if (typeof s.type !== 'string') add(rel, `${field}.type`, 'missing');
        if (SIDEBAR_TYPES.includes(s.type) && s.id === undefined) return;
        if (typeof s.id !== 'string' || !s.id) return add(rel, `${field}.id`, 'missing');
        if (ids.has(s.id)) add(rel, `${field}.id`, `duplicate setting id "${s.id}"`);
        ids.add(s.id);
        if (s.label !== undefined) resolve(rel, `${field}.label`, s.label);
        if (s.info !== undefined) resolve(rel, `${field}.info`, s.info);
      });
    }
    // referenced assets
    for (const [key, want] of [['javascript', '.js'], ['stylesheet', '.css']]) {
      if (schema[key] === undefined) continue;
      const a = schema[key];
      if (typeof a !== 'string' || !a) add(rel, key, 'must be a file name in assets/');
      else if (!assets.has(a)) add(rel, key, `assets/${a} does not exist`);
      else if (ext(a) !== want) add(rel, key, `assets/${a} is not a ${want} file`);
    }
  }
  return { problems, blocks: blocks.length };
}

// ---------------------------------------------------------------------------------------------
// Self-test: build throwaway extensions and assert the verdicts.

function writeTree(root, tree) {
  for (const [rel, content] of Object.entries(tree)) {
    const full = path.join(root, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
}

function block(schema, body = '<div {{ block.shopify_attributes }}></div>\n') {
  return `${body}{% schema %}\n${JSON.stringify(schema, null, 2)}\n{% endschema %}\n`;
}

function selfTest() {
  const good = () => ({
    'shopify.extension.toml': 'name = "t"\ntype = "theme"\n',
    'blocks/app.liquid': block({
      name: 'App', target: 'section', javascript: 'a.js', stylesheet: 'a.css',
      settings: [{ type: 'text', id: 'x', label: 'X' }, { type: 'header', content: 'H' }],
    }),
    'blocks/embed.liquid': block({ name: 't:embed.name', target: 'body', settings: [] }),
    'assets/a.js': 'console.log(1);\n',
    'assets/a.css': 'a{color:inherit}\n',
    'locales/en.default.schema.json': '{"embed":{"name":"Embed"}}',
  });
  const cases = [
    ['minimal good extension', {}, null],
    ['bad target', { 'blocks/app.liquid': block({ name: 'App', target: 'product' }) }, 'target'],
    ['missing target', { 'blocks/app.liquid': block({ name: 'App' }) }, 'target'],
    ['duplicate setting id', {
      'blocks/app.liquid': block({ name: 'App', target: 'section', settings: [
        { type: 'text', id: 'x', label: 'X' }, { type: 'checkbox', id: 'x', label: 'Y' }] }),
    }, 'settings[1].id'],
    ['js of exactly the limit', { 'assets/a.js': '//' + 'x'.repeat(MAX_JS - 2) }, null],
    ['oversized js', { 'assets/a.js': '//' + 'x'.repeat(MAX_JS - 1) }, 'size'],
    ['oversized css', { 'assets/a.css': '/*' + 'x'.repeat(MAX_CSS) + '*/' }, 'size'],
    ['missing schema', { 'blocks/app.liquid': '<div></div>\n' }, 'schema'],
    ['invalid schema JSON', { 'blocks/app.liquid': '{% schema %}{"name": "App",}{% endschema %}' }, 'schema'],
    ['missing javascript asset', { 'blocks/app.liquid': block({ name: 'App', target: 'section', javascript: 'nope.js' }) }, 'javascript'],
    ['duplicate block name', { 'blocks/other.liquid': block({ name: 'App', target: 'head' }) }, 'name'],
    ['duplicate block name via t: key', { 'blocks/other.liquid': block({ name: 'Embed', target: 'head' }) }, 'name'],
    ['unknown t: key', { 'blocks/other.liquid': block({ name: 't:nope.name', target: 'head' }) }, 'name'],
    ['folder not allowed', { 'src/index.js': '1' }, 'layout'],
    ['extension not allowed in assets', { 'assets/x.txt': 'hi' }, 'extension'],
    ['non-json locale', { 'locales/en.yml': 'a: 1' }, 'extension'],
    ['invalid locale JSON', { 'locales/en.default.json': '{' }, 'json'],
    ['wrong extension type', { 'shopify.extension.toml': 'name = "t"\ntype = "ui_extension"\n' }, 'type'],
    ['forbidden liquid tag', { 'blocks/app.liquid': block({ name: 'App', target: 'section' }, "{% include 'x' %}\n") }, 'liquid'],
  ];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'check-extension-'));
  let failed = 0;
  try {
    cases.forEach(([label, patch, field], i) => {
      const root = path.join(tmp, `case${i}`);
      writeTree(root, { ...good(), ...patch });
      const { problems } = checkExtension(root);
      const ok = field === null
        ? problems.length === 0
        : problems.some((p) => p.split(': ')[1] === field);
      if (!ok) failed++;
      const want = field === null ? 'accepted' : `rejected on ${field}`;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: expected ${want}; got ${problems.length ? problems.join(' | ') : 'no problems'}`);
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(failed ? `self-test FAILED: ${failed} of ${cases.length}` : `self-test ok: ${cases.length} cases`);
  return failed ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------

function main(argv) {
  if (argv[0] === '--self-test') return selfTest();
  if (argv.length !== 1 || argv[0].startsWith('-')) {
    console.error('usage: node scripts/check-extension.mjs <extension-dir> | --self-test');
    return 2;
  }
  const { problems, blocks } = checkExtension(argv[0]);
  for (const p of problems) console.log(p);
  if (problems.length) return 1;
  console.log(`extension ok: ${blocks} blocks`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
