// Read state and badge counts (src/readState.js): the server's counts merged with what
// arrives live, without counting a message twice or missing one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { message } from './support.js';
import { Clock, mentionsMe, RoomReadState, totalUnread, unreadLabel } from '../src/readState.js';

const fresh = () => new RoomReadState(new Clock());
const counts = (s) => ({ unread: s.unread, mentions: s.mentions });

test("live messages by others count once; one's own and those already read never", () => {
  const s = fresh();
  s.read(10);
  assert.equal(s.message(message(9), 'alice'), false); // read already
  assert.equal(s.message(message(11), 'alice'), true);
  assert.equal(s.message(message(11), 'alice'), false); // the same frame again
  assert.equal(s.message(message(12, { user: 'ALICE' }), 'alice'), false);
  assert.equal(s.message(message(13, { mentions: ['Alice'] }), 'alice'), true);
  assert.deepEqual(counts(s), { unread: 2, mentions: 1 });
  assert.equal(s.newest, 13);
});

test('a mention event and its message frame count once, in either order', () => {
  const s = fresh();
  assert.equal(s.mention(message(5, { mentions: ['alice'] }), 'alice'), 'counted');
  s.message(message(5, { mentions: ['alice'] }), 'alice');
  assert.deepEqual(counts(s), { unread: 1, mentions: 1 });
  s.message(message(6), 'alice');
  assert.equal(s.mention(message(6, { mentions: ['alice'] }), 'alice'), 'counted'); // an edit added it
  assert.equal(s.mention(message(6, { mentions: ['alice'] }), 'alice'), 'same');
  assert.deepEqual(counts(s), { unread: 2, mentions: 2 });
  assert.equal(s.mention(message(7, { user: 'alice', mentions: ['alice'] }), 'alice'), 'same');
});

test('a mention added to a message only the server counted needs a fresh count', () => {
  const s = fresh();
  s.seen(4);
  assert.equal(s.snapshot(s.clock.tick(), { unread: 1, mentions: 0 }), true);
  assert.equal(s.mention(message(4, { mentions: ['alice'] }), 'alice'), 'stale');
  assert.deepEqual(counts(s), { unread: 1, mentions: 0 });
});

test('deleting a counted message takes it off; one counted by the server asks for a fresh count', () => {
  const s = fresh();
  s.snapshot(s.clock.tick(), { unread: 2, mentions: 1 });
  s.message(message(20, { mentions: ['alice'] }), 'alice');
  assert.equal(s.deleted(20), 'counted');
  assert.deepEqual(counts(s), { unread: 2, mentions: 1 });
  assert.equal(s.deleted(19), 'stale');
  s.read(25);
  assert.equal(s.deleted(3), 'same');
});

test('a read from another device clears what it covers', () => {
  const s = fresh();
  s.message(message(1), 'alice');
  s.message(message(2, { mentions: ['alice'] }), 'alice');
  s.message(message(3), 'alice');
  assert.equal(s.read(2), 'clear'); // everything left is known here
  assert.deepEqual(counts(s), { unread: 1, mentions: 0 });
  assert.equal(s.read(1), 'same'); // never backwards
  assert.equal(s.lastRead, 2);
  assert.equal(s.read(3), 'clear');
  assert.deepEqual(counts(s), { unread: 0, mentions: 0 });
});

test('a read part way through what only the server counted needs a fresh count', () => {
  const s = fresh();
  s.seen(30);
  s.snapshot(s.clock.tick(), { unread: 4, mentions: 0 });
  assert.equal(s.read(28), 'stale');
  assert.equal(s.read(30), 'clear');
  assert.deepEqual(counts(s), { unread: 0, mentions: 0 });
});

test('reading the room reports the newest message seen, once', () => {
  const s = fresh();
  assert.equal(s.readAll(), null);
  s.seen(7);
  s.message(message(8), 'alice');
  assert.equal(s.readAll(), 8);
  assert.equal(s.lastRead, 8);
  assert.deepEqual(counts(s), { unread: 0, mentions: 0 });
  assert.equal(s.readAll(), null);
});

test("the server's counts are taken unless something changed while they were on the way", () => {
  const s = fresh();
  s.message(message(1), 'alice');
  let started = s.clock.tick(); // the request leaves after message 1: it is in the count
  assert.equal(s.snapshot(started, { unread: 1, mentions: 0 }), true);
  assert.equal(s.live.size, 0);

  started = s.clock.tick();
  s.message(message(2), 'alice'); // arrives while the request is out: counted or not?
  assert.equal(s.snapshot(started, { unread: 1, mentions: 0 }), false);
  assert.deepEqual(counts(s), { unread: 2, mentions: 0 }); // our own count stands
  started = s.clock.tick(); // asked again: now it certainly is
  assert.equal(s.snapshot(started, { unread: 2, mentions: 0 }), true);

  started = s.clock.tick();
  s.readAll(); // read meanwhile: an older count would bring the badge back
  assert.equal(s.snapshot(started, { unread: 2, mentions: 0 }), false);
  assert.deepEqual(counts(s), { unread: 0, mentions: 0 });
});

test("a join ack's read position drops what it covers and keeps the server's count", () => {
  const s = fresh();
  s.snapshot(s.clock.tick(), { unread: 3, mentions: 1 });
  s.message(message(40), 'alice');
  s.joined(40);
  assert.equal(s.lastRead, 40);
  assert.deepEqual(counts(s), { unread: 3, mentions: 1 });
  s.joined(null);
  s.joined(12);
  assert.equal(s.lastRead, 40);
});

test('labels and totals read naturally', () => {
  assert.equal(unreadLabel({ unread: 0, mentions: 0 }), '');
  assert.equal(unreadLabel({ unread: 3, mentions: 0 }), '3 unread');
  assert.equal(unreadLabel({ unread: 3, mentions: 1 }), '3 unread, 1 mention');
  assert.equal(unreadLabel({ unread: 5, mentions: 2 }), '5 unread, 2 mentions');
  assert.equal(totalUnread([{ unread: 2 }, { unread: 0 }, { unread: 5 }]), 7);
  assert.equal(mentionsMe(message(1, { mentions: ['Bob', 'ALICE'] }), 'alice'), true);
  assert.equal(mentionsMe(message(1), 'alice'), false);
});
