// The merge rules of a room's timeline: history pages, live frames and the gap fill after a
// reconnect all meet here, so order and uniqueness are checked without a browser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, Timeline, typingText } from '../src/timeline.js';

const msg = (id, extra = {}) => ({
  id,
  room: 'r',
  user: 'alice',
  body: `m${id}`,
  created_at: '2026-01-01T00:00:00Z',
  edited_at: null,
  client_id: null,
  attachment: null,
  ...extra,
});

test('messages arriving out of order are kept in id order, each once', () => {
  const t = new Timeline();
  for (const id of [5, 3, 9, 3, 7, 5, 1]) t.upsert(msg(id));
  assert.deepEqual(t.ids, [1, 3, 5, 7, 9]);
  assert.equal(t.oldestId, 1);
  assert.equal(t.newestId, 9);
});

test('upsert tells where a new message goes', () => {
  const t = new Timeline();
  t.upsert(msg(10));
  t.upsert(msg(30));
  assert.deepEqual(t.upsert(msg(20)), { kind: 'added', before: 30 });
  assert.deepEqual(t.upsert(msg(40)), { kind: 'added', before: null });
  assert.deepEqual(t.upsert(msg(20)), { kind: 'same', before: null });
});

test('a confirmed message replaces the pending entry with its client_id', () => {
  const t = new Timeline();
  t.addPending({ client_id: 'c1', body: 'hi' });
  assert.equal(t.pending.size, 1);
  t.upsert(msg(1, { client_id: 'c1', body: 'hi' }));
  assert.equal(t.pending.size, 0);
  assert.equal(t.size, 1);
});

test('an edit updates the body; an older edit arriving late does not undo a newer one', () => {
  const t = new Timeline();
  t.upsert(msg(1));
  const newer = msg(1, { body: 'v2', edited_at: '2026-01-01T00:00:02Z' });
  const older = msg(1, { body: 'v1', edited_at: '2026-01-01T00:00:01Z' });
  assert.equal(t.upsert(newer).kind, 'updated');
  assert.equal(t.upsert(older).kind, 'same');
  assert.equal(t.get(1).body, 'v2');
});

test('remove drops a message and keeps the rest in order', () => {
  const t = new Timeline();
  [1, 2, 3].forEach((id) => t.upsert(msg(id)));
  assert.equal(t.remove(2), true);
  assert.equal(t.remove(2), false);
  assert.deepEqual(t.ids, [1, 3]);
});

test('sizes and typing lines read naturally', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(2048), '2.0 KB');
  assert.equal(formatBytes(5 * 1024 * 1024), '5.0 MB');
  assert.equal(typingText([]), '');
  assert.equal(typingText(['bob']), 'bob is typing…');
  assert.equal(typingText(['bob', 'carol']), 'bob and carol are typing…');
  assert.equal(typingText(['a', 'b', 'c']), '3 people are typing…');
});
