// Reactions (src/reactions.js): the list rules of the contract applied to one's own change,
// and who reacted in words.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import './support.js';
import { hasReacted, toggleReaction, whoReacted } from '../src/reactions.js';

const list = [
  { emoji: '👍', count: 2, users: ['bob', 'carol'] },
  { emoji: '🎉', count: 1, users: ['Alice'] },
];

test('adding a new emoji puts it last with oneself', () => {
  assert.deepEqual(toggleReaction(list, '🚀', 'alice', true).map((r) => [r.emoji, r.count, r.users]), [
    ['👍', 2, ['bob', 'carol']],
    ['🎉', 1, ['Alice']],
    ['🚀', 1, ['alice']],
  ]);
});

test('adding to an existing emoji keeps its place and counts one more', () => {
  const next = toggleReaction(list, '👍', 'alice', true);
  assert.deepEqual(next[0], { emoji: '👍', count: 3, users: ['bob', 'carol', 'alice'] });
  assert.deepEqual(list[0].users, ['bob', 'carol'], 'the given list is not changed');
});

test('reacting twice, or taking back what one never gave, changes nothing', () => {
  assert.deepEqual(toggleReaction(list, '🎉', 'alice', true), list); // case-insensitive: Alice is alice
  assert.deepEqual(toggleReaction(list, '👍', 'alice', false), list);
  assert.deepEqual(toggleReaction(list, '🚀', 'alice', false), list);
  assert.deepEqual(toggleReaction([], '🚀', 'alice', false), []);
});

test('an emoji nobody has any more leaves the list, and comes back last', () => {
  const gone = toggleReaction(list, '🎉', 'alice', false);
  assert.deepEqual(gone.map((r) => r.emoji), ['👍']);
  const fewer = toggleReaction(list, '👍', 'Bob', false);
  assert.deepEqual(fewer[0], { emoji: '👍', count: 1, users: ['carol'] });
  const back = toggleReaction(toggleReaction(gone, '👍', 'dave', true), '🎉', 'alice', true);
  assert.deepEqual(back.map((r) => r.emoji), ['👍', '🎉']);
});

test('whose reaction: oneself first as "You", the rest counted past three names', () => {
  assert.equal(whoReacted(['alice'], 'alice'), 'You');
  assert.equal(whoReacted(['bob'], 'alice'), 'bob');
  assert.equal(whoReacted(['bob', 'Alice'], 'alice'), 'You and bob');
  assert.equal(whoReacted(['bob', 'carol', 'alice'], 'alice'), 'You, bob and carol');
  assert.equal(whoReacted(['a1', 'a2', 'a3', 'a4'], 'x'), 'a1, a2, a3 and a4');
  assert.equal(whoReacted(['a1', 'a2', 'a3', 'a4', 'a5', 'a6'], 'x'), 'a1, a2, a3 and 3 others');
  assert.equal(hasReacted(list[1], 'ALICE'), true);
});
