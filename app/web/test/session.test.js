// The socket session (src/session.js) and the room state it feeds (src/rooms.js), against a
// scripted socket and a scripted HTTP API: joins, the gap fill after a reconnect, refusals, acks
// that never come, live messages and unread counts.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { FakeSocket, fakeFetch, message } from './support.js';

const { createContext } = await import('../src/chat.js');
const { emitAck, joinRoom, onMessage } = await import('../src/session.js');
const { markRead, roomState } = await import('../src/rooms.js');

let ctx;
beforeEach(() => {
  localStorage.clear();
  document.body.replaceChildren();
  ctx = createContext(document.body, { username: 'alice' }, () => {});
  document.body.append(ctx.ui.shell);
});
afterEach(() => {
  // a join asks for fresh counts a moment later; this context is done
  ctx.state.ended = true;
  clearTimeout(ctx.state.refreshSoon);
});

test('an ack that never comes reads as a timeout, a missing ack as a refusal', async () => {
  assert.deepEqual(await emitAck(ctx, 'join', { room: 'x' }), { ok: false, error: { code: 'timeout' } });
  ctx.state.socket = new FakeSocket((event) => (event === 'join' ? 'timeout' : undefined));
  assert.deepEqual(await emitAck(ctx, 'join', { room: 'x' }), { ok: false, error: { code: 'timeout' } });
  assert.deepEqual(await emitAck(ctx, 'send', { room: 'x' }), { ok: false, error: { code: 'invalid_payload' } });
});

test('a first join fills the timeline, the online list and whether older pages exist', async () => {
  ctx.state.socket = new FakeSocket(() => ({
    ok: true,
    room: { name: 'general', private: false, owner: 'bob' },
    online: ['bob'],
    messages: [message(1), message(2)],
    more: true,
    last_read: 1,
  }));
  const r = roomState(ctx, 'general');
  r.wanted = true;
  await joinRoom(ctx, r);
  assert.deepEqual(ctx.state.socket.emitted, [['join', { room: 'general' }]]);
  assert.equal(r.joined, true);
  assert.deepEqual([...r.timeline.ids], [1, 2]);
  assert.equal(r.timeline.hasMoreBefore, true);
  assert.deepEqual([...r.online], ['bob']);
  // History is not counted here: the unread count is the server's (GET /api/rooms).
  assert.equal(r.read.lastRead, 1);
  assert.equal(r.read.newest, 2);
  assert.equal(r.read.unread, 0);
});

test('a re-join asks for what came after the newest message and pages through the gap', async () => {
  const r = roomState(ctx, 'general');
  r.wanted = true;
  r.timeline.upsert(message(2));
  ctx.state.socket = new FakeSocket(() => ({ ok: true, online: [], messages: [message(3)], more: true }));
  const calls = fakeFetch({
    'GET /api/rooms/general/messages?after=3&limit=100': { messages: [message(4), message(5)], more: true },
    'GET /api/rooms/general/messages?after=5&limit=100': { messages: [], more: false },
  });
  await joinRoom(ctx, r);
  assert.deepEqual(ctx.state.socket.emitted, [['join', { room: 'general', since: 2 }]]);
  assert.deepEqual(calls, [
    'GET /api/rooms/general/messages?after=3&limit=100',
    'GET /api/rooms/general/messages?after=5&limit=100',
  ]);
  assert.deepEqual([...r.timeline.ids], [2, 3, 4, 5]);
});

test('a refused join forgets the room and says why', async () => {
  ctx.store.setJoined('secret', true);
  const r = roomState(ctx, 'secret');
  r.wanted = true;
  ctx.state.socket = new FakeSocket(() => ({ ok: false, error: { code: 'forbidden', message: 'not a member' } }));
  await joinRoom(ctx, r);
  assert.equal(ctx.state.rooms.has('secret'), false);
  assert.equal(ctx.store.isJoined('secret'), false);
  assert.match(ctx.ui.toasts.textContent, /Could not open #secret: not a member/);
});

test("live messages count as unread once each, and one's own never", async () => {
  const r = roomState(ctx, 'general');
  r.wanted = true;
  onMessage(ctx, message(10));
  onMessage(ctx, message(10)); // the same frame twice (a reconnect's overlap)
  onMessage(ctx, message(11, { user: 'Alice' }));
  onMessage(ctx, message(12, { room: 'elsewhere' })); // a room we are not in
  assert.deepEqual([...r.timeline.ids], [10, 11]);
  assert.equal(r.read.unread, 1);
  assert.match(document.title, /^\(1\) /);
});

test('reading a room tells the server the newest message seen, and never moves back', async () => {
  const r = roomState(ctx, 'general');
  r.wanted = true;
  r.read.read(10);
  ctx.state.socket = new FakeSocket((event, payload) => ({ ok: true, last_read: payload.id }));
  r.timeline.upsert(message(5));
  r.read.seen(5);
  markRead(ctx, r);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(ctx.state.socket.emitted, []);
  assert.equal(r.read.lastRead, 10);
  r.read.seen(12);
  markRead(ctx, r);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(ctx.state.socket.emitted, [['read', { room: 'general', id: 12 }]]);
  assert.equal(r.read.lastRead, 12);
});
