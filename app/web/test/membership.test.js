// Rooms and people (src/membership.js, src/readSync.js, src/dms.js and the sidebar of
// src/rooms.js) against a scripted socket and HTTP API: which list a room is in, rooms that
// appear and go live, badges that follow the server and the other devices.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { FakeSocket, fakeFetch, message } from './support.js';

const { createContext } = await import('../src/chat.js');
const { onMemberAdded, onMemberRemoved } = await import('../src/membership.js');
const { onMention, onReadEvent } = await import('../src/readSync.js');
const { markRead, openRoom, refreshRooms, roomState } = await import('../src/rooms.js');
const { onMessage } = await import('../src/session.js');

const room = (name, extra = {}) => ({ name, private: false, owner: 'bob', kind: 'room', member: false, ...extra });
const dm = (name, other) => ({ name, private: true, owner: null, kind: 'dm', dm_with: other, member: true, unread: 0, mentions: 0 });
const names = (list) => [...list.querySelectorAll('a.room-link')].map((a) => a.getAttribute('aria-label'));
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

let ctx;
beforeEach(() => {
  localStorage.clear();
  document.body.replaceChildren();
  ctx = createContext(document.body, { username: 'alice' }, () => {});
  document.body.append(ctx.ui.shell);
  ctx.state.socket = new FakeSocket((event, payload) =>
    event === 'join' ? { ok: true, room: null, messages: [], more: false, online: [], last_read: null } : { ok: true, last_read: payload.id },
  );
});
afterEach(() => {
  ctx.state.ended = true;
  clearTimeout(ctx.state.refreshSoon);
});

test('the room list follows the server: rooms one is in, DMs, and public rooms to join', async () => {
  fakeFetch({
    'GET /api/rooms': {
      rooms: [
        room('general', { member: true, unread: 3, mentions: 1 }),
        room('random'),
        room('ops', { private: true, member: true, unread: 0, mentions: 0 }),
        dm('dm-1', 'carol'),
      ],
    },
  });
  await refreshRooms(ctx);
  assert.deepEqual(names(ctx.ui.roomList), ['room general, 3 unread, 1 mention', 'private room ops']);
  assert.deepEqual(names(ctx.ui.dmList), ['direct message with carol']);
  assert.deepEqual(names(ctx.ui.otherList), ['room random']);
  assert.equal(ctx.ui.roomList.querySelector('.badge').textContent, '3');
  assert.equal(ctx.ui.roomList.querySelector('.mention-badge').getAttribute('title'), '1 mention');
  assert.match(document.title, /^\(3\) Chat$/);
  // Every room one is in is joined on the socket, so its messages arrive live.
  const joined = ctx.state.socket.emitted.filter(([e]) => e === 'join').map(([, p]) => p.room);
  assert.deepEqual(joined.sort(), ['dm-1', 'general', 'ops']);
});

test('a public room remembered by a v1 browser is joined once and then left to the server', async () => {
  ctx.store.setJoined('random', true);
  fakeFetch({ 'GET /api/rooms': { rooms: [room('random')] } });
  await refreshRooms(ctx);
  assert.deepEqual(names(ctx.ui.roomList), ['room random']);
  fakeFetch({ 'GET /api/rooms': { rooms: [room('random', { member: true, unread: 0, mentions: 0 })] } });
  await refreshRooms(ctx);
  assert.equal(ctx.store.isJoined('random'), false);
});

test('a room left on another device while this one was away is no longer ours', async () => {
  const r = roomState(ctx, 'general');
  r.wanted = true; // ours before the connection dropped; not joined on the new one yet
  fakeFetch({ 'GET /api/rooms': { rooms: [room('general')] } });
  await refreshRooms(ctx);
  assert.equal(r.wanted, false);
  assert.deepEqual(names(ctx.ui.otherList), ['room general']);
});

test('added to a private room, it appears and is joined at once; removed, it goes', async () => {
  onMemberAdded(ctx, { room: room('secret', { private: true }), user: 'Alice' });
  assert.deepEqual(names(ctx.ui.roomList), ['private room secret']);
  assert.deepEqual(ctx.state.socket.emitted.at(-1), ['join', { room: 'secret' }]);
  await tick();
  openRoom(ctx, 'secret');
  assert.equal(ctx.ui.roomView.hidden, false);

  onMemberRemoved(ctx, { room: 'secret', user: 'alice' });
  assert.equal(ctx.state.rooms.has('secret'), false);
  assert.deepEqual(names(ctx.ui.roomList), []);
  assert.equal(ctx.state.active, null);
  assert.equal(ctx.ui.roomView.hidden, true);
  assert.match(ctx.ui.toasts.textContent, /You are no longer a member of #secret\./);
});

test("someone else's membership changes leave our list alone", () => {
  onMemberAdded(ctx, { room: room('general', { member: true }), user: 'alice' });
  onMemberAdded(ctx, { room: room('general'), user: 'bob' });
  onMemberRemoved(ctx, { room: 'general', user: 'bob' });
  assert.deepEqual(names(ctx.ui.roomList), ['room general']);
});

test('removed from a public room, it goes back to the rooms to join', () => {
  onMemberAdded(ctx, { room: room('general'), user: 'alice' });
  onMemberRemoved(ctx, { room: 'general', user: 'alice' });
  assert.deepEqual(names(ctx.ui.roomList), []);
  assert.deepEqual(names(ctx.ui.otherList), ['room general']);
});

test("badges: live messages and mentions count, another device's read clears them", () => {
  onMemberAdded(ctx, { room: room('general'), user: 'alice' });
  onMessage(ctx, message(1));
  onMessage(ctx, message(2, { mentions: ['alice'] }));
  onMention(ctx, { room: 'general', message: message(2, { mentions: ['alice'] }) });
  assert.deepEqual(names(ctx.ui.roomList), ['room general, 2 unread, 1 mention']);
  onReadEvent(ctx, { room: 'general', last_read: 2 });
  assert.deepEqual(names(ctx.ui.roomList), ['room general']);
  assert.equal(document.title, 'Chat');
});

test('a DM opened by someone else appears under direct messages with their name', () => {
  onMemberAdded(ctx, { room: dm('dm-7', 'bob'), user: 'alice' });
  assert.deepEqual(names(ctx.ui.dmList), ['direct message with bob']);
  assert.equal(ctx.ui.emptyDms.hidden, true);
  openRoom(ctx, 'dm-7');
  assert.equal(ctx.ui.input.getAttribute('aria-label'), 'Message bob');
  assert.equal(ctx.ui.roomMeta.textContent, 'Direct message');
  assert.equal(ctx.ui.leaveButton.hidden, true);
  assert.equal(ctx.ui.membersButton.hidden, true);
});

test('reading a room finds the thread replies only the server counted, and reads up to them', async () => {
  const r = roomState(ctx, 'general');
  r.wanted = true;
  r.timeline.upsert(message(5, { reply_count: 1, last_reply_at: '2026-12-03T10:01:00Z' }));
  r.timeline.upsert(message(6, { reply_count: 0, last_reply_at: null }));
  r.read.seen(6);
  r.read.joined(6);
  r.read.snapshot(r.read.clock.tick(), { unread: 1, mentions: 0 }); // a reply above 6
  const calls = fakeFetch({
    'GET /api/rooms/general/messages?thread=5&limit=1': { messages: [message(9, { thread: 5 })], more: false },
  });
  markRead(ctx, r);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(calls, ['GET /api/rooms/general/messages?thread=5&limit=1']);
  assert.deepEqual(ctx.state.socket.emitted, [['read', { room: 'general', id: 9 }]]);
  assert.equal(r.read.lastRead, 9);
  assert.equal(r.read.unread, 0);
});

test('counts overtaken by a live message are not taken, and asked for again a few times only', async () => {
  onMemberAdded(ctx, { room: room('general'), user: 'alice' });
  const list = { rooms: [room('general', { member: true, unread: 0, mentions: 0 })] };
  const calls = fakeFetch({ 'GET /api/rooms': list });
  const slow = globalThis.fetch;
  globalThis.fetch = async (...args) => {
    onMessage(ctx, message(100 + calls.length)); // arrives while the request is out
    return slow(...args);
  };
  for (let i = 0; i < 5; i += 1) await refreshRooms(ctx);
  assert.equal(ctx.state.rooms.get('general').read.unread, 5); // the server's 0 never taken
  assert.equal(ctx.state.snapshotRetries, 3);
  globalThis.fetch = slow;
  await refreshRooms(ctx);
  assert.equal(ctx.state.rooms.get('general').read.unread, 0);
  assert.equal(ctx.state.snapshotRetries, 0);
});
