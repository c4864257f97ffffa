// The UI's own logic without a browser (node:test): the words in both
// languages, the English of every error code the program can answer, sizes
// and dates as each language writes them. Runs in milliseconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

globalThis.document = { documentElement: {} };  // what setLang touches
const i18n = await import('../src/js/i18n.js');
const { formatBytes, formatDate } = await import('../src/js/dom.js');

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, '..', '..', 'src');

function cppFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? cppFiles(p) : /\.(cpp|h)$/.test(name) ? [p] : [];
  });
}

test('every word has its Italian and its English', () => {
  const it = Object.keys(i18n.words.it).sort();
  const en = Object.keys(i18n.words.en).sort();
  assert.deepEqual(en, it);
  for (const key of it) {
    for (const lang of ['it', 'en']) {
      const v = i18n.words[lang][key];
      assert.ok(typeof v === 'function' || (typeof v === 'string' && v.trim() !== '') || (typeof v === 'object' && v !== null), `${lang}.${key} is empty`);
    }
  }
});

// Only the command line says these (in Italian or English), never a screen.
const COMMAND_LINE_ONLY = new Set(['backup_failed', 'bad_config', 'bad_key', 'insecure_key', 'invalid_db',
  'invalid_hash', 'listen_failed', 'receipt_key_unavailable', 'schema_newer', 'target_not_empty',
  'unreadable_key']);

test('every error code the program answers has its English on the English screen', () => {
  const found = new Set();
  const pattern = /(?:Error::(?:invalid|unavailable|conflict|notFound|forbidden|tooMany|badRequest)\(|ErrorCode::k[A-Za-z]+, |Response::error\(\d+, )"([a-z_0-9]+)"/g;
  for (const file of cppFiles(src)) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) found.add(m[1]);
  }
  assert.ok(found.size > 50, `only ${found.size} codes found: the pattern no longer matches the sources`);
  i18n.setLang('en');
  try {
    const missing = [...found].filter((code) => !COMMAND_LINE_ONLY.has(code) &&
      i18n.serverText(code, 'ITALIANO', 2) === 'ITALIANO');
    assert.deepEqual(missing, [], 'codes shown in Italian on the English screen');
  } finally {
    i18n.setLang('it');
  }
});

test('the Italian screen shows the server\'s own message', () => {
  i18n.setLang('it');
  assert.equal(i18n.serverText('not_found', 'Comunicazione non trovata.'), 'Comunicazione non trovata.');
});

test('sizes: a decimal comma in Italian, a point in English', () => {
  i18n.setLang('it');
  assert.equal(formatBytes(512), '512 byte');
  assert.equal(formatBytes(1536), '1,5 KB');
  assert.equal(formatBytes(5 * 1024 * 1024), '5,00 MB');
  i18n.setLang('en');
  assert.equal(formatBytes(512), '512 bytes');
  assert.equal(formatBytes(1536), '1.5 KB');
  i18n.setLang('it');
});

test('dates are Rome\'s time, across the change to summer time', () => {
  assert.equal(formatDate('2026-03-29T00:30:00Z'), '29/03/2026, 01:30');  // still CET
  assert.equal(formatDate('2026-03-29T01:30:00Z'), '29/03/2026, 03:30');  // CEST
  assert.equal(formatDate('2026-12-31T23:30:00Z', 'en'), '01/01/2027, 00:30');
});
