// @mentions (src/mentions.js): the server's rules for where a name starts and ends, which
// names stand out, and the autocomplete's query and candidates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import './support.js';
import { bodyContent, insertMention, matchMembers, mentionQueryAt, mentionSegments } from '../src/mentions.js';

const marked = (body, mentions) =>
  mentionSegments(body, mentions)
    .filter((s) => s.user)
    .map((s) => [s.text, s.user]);

test('a mention is marked only when the server listed its user, as registered', () => {
  assert.deepEqual(marked('hi @bob and @carol', ['Bob']), [['@bob', 'Bob']]);
  assert.deepEqual(marked('hi @bob', []), []);
  assert.deepEqual(mentionSegments('plain', ['bob']), [{ text: 'plain', user: null }]);
});

test('the segments put the body back together exactly', () => {
  for (const body of ['@bob, @bob. and @BOB!', 'mail me@bob.com', '  @bob-  ', '@bob\n@bob']) {
    assert.equal(mentionSegments(body, ['bob']).map((s) => s.text).join(''), body, body);
  }
});

test('an @ inside a word (an e-mail address) starts no mention', () => {
  assert.deepEqual(marked('write to me@bob', ['bob']), []);
  assert.deepEqual(marked('(@bob)', ['bob']), [['@bob', 'bob']]);
});

test('a trailing dot or dash before whitespace or the end is punctuation', () => {
  assert.deepEqual(marked('thanks @bob.', ['bob']), [['@bob', 'bob']]);
  assert.deepEqual(marked('thanks @bob-- see you', ['bob']), [['@bob', 'bob']]);
  // inside the text the dot belongs to the name: "bob.smith" is someone else
  assert.deepEqual(marked('@bob.smith here', ['bob']), []);
  assert.deepEqual(marked('@bob.smith here', ['bob.smith']), [['@bob.smith', 'bob.smith']]);
});

test('bodyContent makes text and spans, never markup, and marks oneself apart', () => {
  const ctx = { me: { username: 'alice' } };
  const nodes = bodyContent(ctx, { body: '<b>@Alice</b> @bob', mentions: ['alice', 'bob'] });
  const div = document.createElement('div');
  div.append(...nodes);
  assert.equal(div.textContent, '<b>@Alice</b> @bob');
  assert.equal(div.querySelectorAll('b').length, 0);
  assert.deepEqual([...div.querySelectorAll('.mention')].map((s) => s.className), ['mention mention-me', 'mention']);
});

test('the autocomplete query is the name being typed right before the caret', () => {
  assert.deepEqual(mentionQueryAt('hi @bo', 6), { start: 3, prefix: 'bo' });
  assert.deepEqual(mentionQueryAt('@', 1), { start: 0, prefix: '' });
  assert.deepEqual(mentionQueryAt('hi @bo there', 6), { start: 3, prefix: 'bo' });
  assert.equal(mentionQueryAt('hi @bob there', 13), null);
  assert.equal(mentionQueryAt('me@bob', 6), null);
  assert.equal(mentionQueryAt('no at', 5), null);
});

test('candidates: names starting with the prefix first, then containing it, never oneself', () => {
  const names = ['alice', 'Bob', 'bobby', 'jim-bob', 'carol'];
  assert.deepEqual(matchMembers(names, 'bo', 'alice'), ['Bob', 'bobby', 'jim-bob']);
  assert.deepEqual(matchMembers(names, '', 'alice'), ['Bob', 'bobby', 'carol', 'jim-bob']);
  assert.deepEqual(matchMembers(names, 'ALI', 'alice'), []);
  assert.equal(matchMembers(names.concat(['b1', 'b2', 'b3', 'b4', 'b5', 'b6']), 'b', 'x').length, 8);
});

test('choosing a name replaces the query and leaves the caret after one space', () => {
  assert.deepEqual(insertMention('hi @bo', 3, 6, 'bobby'), { text: 'hi @bobby ', caret: 10 });
  assert.deepEqual(insertMention('hi @bo see', 3, 6, 'bobby'), { text: 'hi @bobby see', caret: 10 });
});
