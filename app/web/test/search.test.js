// Search (src/search.js): the query's words and the marks on a result, compared as the server
// compares (case, accents and punctuation aside, words or word prefixes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import './support.js';
import { fold, highlightSegments, searchWords } from '../src/search.js';

const hits = (body, q) => highlightSegments(body, searchWords(q)).filter((s) => s.hit).map((s) => s.text);

test('query words are folded and split on punctuation', () => {
  assert.deepEqual(searchWords('  Déploy, FRIDAY!  '), ['deploy', 'friday']);
  assert.deepEqual(searchWords('...'), []);
  assert.equal(fold('Ça Crée'), 'ca cree');
});

test('whole words and word prefixes of the body are marked, accents and case aside', () => {
  assert.deepEqual(hits('Deploy on Friday? Redeploy later.', 'deploy frid'), ['Deploy', 'Friday']);
  assert.deepEqual(hits('Le café est prêt', 'cafe pret'), ['café', 'prêt']);
  assert.deepEqual(hits('nothing here', 'deploy'), []);
});

test('the segments put the body back together exactly', () => {
  const body = '<b>Deploy</b>\n  on  friday ';
  assert.equal(highlightSegments(body, ['deploy', 'fri']).map((s) => s.text).join(''), body);
});
