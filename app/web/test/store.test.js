// What the browser remembers between visits (src/store.js): per user, and never an exception.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import './support.js';
import { localStore } from '../src/store.js';

beforeEach(() => localStorage.clear());

test('joined rooms round-trip per user', () => {
  const alice = localStore('Alice');
  alice.setJoined('general', true);
  assert.equal(localStore('alice').isJoined('general'), true);
  assert.equal(localStore('bob').isJoined('general'), false);
  alice.setJoined('general', false);
  assert.equal(alice.isJoined('general'), false);
});

test('a corrupt entry reads as nothing remembered', () => {
  localStorage.setItem('chat.alice.joined', '{not json');
  const alice = localStore('alice');
  assert.equal(alice.isJoined('general'), false);
});

test('storage that refuses writes (full, or disabled) never breaks the client', () => {
  const original = Storage.prototype.setItem;
  Storage.prototype.setItem = () => {
    throw new Error('QuotaExceededError');
  };
  try {
    const alice = localStore('alice');
    assert.doesNotThrow(() => alice.setJoined('general', true));
  } finally {
    Storage.prototype.setItem = original;
  }
});
