// Threads (src/threads.js) with the real session and views in happy-dom: replies stay out of
// the room's timeline and go to their open thread, and the reply count under a message follows
// the root's `message_updated`.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { FakeSocket, fakeFetch, message } from './support.js';

const { createContext } = await import('../src/chat.js');
const { applyMessage, onMessage, onMessageUpdated } = await import('../src/session.js');
const { roomState } = await import('../src/rooms.js');
const { renderMessages } = await import('../src/timelineView.js');
const { applyReply, onThreadMessageDeleted, openThread, refreshThread, replyCountText } = await import('../src/threads.js');
const { sendReply } = await import('../src/threadComposer.js');
const { onReactions, react } = await import('../src/reactions.js');

let ctx;
let r;
beforeEach(() => {
  localStorage.clear();
  document.body.replaceChildren();
  ctx = createContext(document.body, { username: 'alice' }, () => {});
  document.body.append(ctx.ui.shell);
  r = roomState(ctx, 'general');
  r.wanted = true;
  r.joined = true;
  ctx.state.active = 'general';
  ctx.state.socket = new FakeSocket(() => ({ ok: true }));
});

const root = (extra = {}) => message(10, { thread: null, reply_count: 0, last_reply_at: null, reactions: [], mentions: [], ...extra });
const reply = (id, extra = {}) => message(id, { thread: 10, reactions: [], mentions: [], ...extra });
const summary = () => ctx.ui.messages.querySelector('li[data-id="10"] .thread-open');

test('reply counts read as people say them', () => {
  assert.equal(replyCountText(0), '0 replies');
  assert.equal(replyCountText(1), '1 reply');
  assert.equal(replyCountText(12), '12 replies');
});

test('a reply never enters the room timeline; the root shows its new count', () => {
  applyMessage(ctx, r, root(), { live: false });
  renderMessages(ctx, { toBottom: true });
  assert.equal(summary(), null, 'no replies, no thread line');
  onMessage(ctx, reply(11));
  assert.deepEqual([...r.timeline.ids], [10]);
  onMessageUpdated(ctx, root({ reply_count: 1, last_reply_at: '2026-12-03T10:05:00Z' }));
  assert.equal(summary().textContent, '1 reply');
  onMessageUpdated(ctx, root({ reply_count: 2, last_reply_at: '2026-12-03T10:06:00Z' }));
  assert.equal(summary().textContent, '2 replies');
  assert.equal(ctx.ui.messages.querySelectorAll('li.message').length, 1);
});

test('an update of a root older than the loaded window is not added (no gap in history)', () => {
  applyMessage(ctx, r, root(), { live: false });
  r.timeline.hasMoreBefore = true;
  onMessageUpdated(ctx, message(3, { thread: null, reply_count: 1 }));
  assert.deepEqual([...r.timeline.ids], [10]);
});

test('the open thread takes its replies, in id order, once each; others are left alone', async () => {
  applyMessage(ctx, r, root({ reply_count: 2 }), { live: false });
  fakeFetch({ 'GET /api/rooms/general/messages?thread=10&limit=50': { messages: [reply(12)], more: false } });
  await openThread(ctx, r, 10);
  const shown = () => [...ctx.ui.sidePanel.querySelectorAll('ol[aria-label="Replies"] > li')].map((li) => li.dataset.id);
  assert.deepEqual(shown(), ['12']);
  applyReply(ctx, r, reply(11), { live: false });
  applyReply(ctx, r, reply(13), { live: true });
  applyReply(ctx, r, reply(13), { live: true });
  applyReply(ctx, r, message(14, { thread: 99 }), { live: true });
  assert.deepEqual(shown(), ['11', '12', '13']);
  assert.match(ctx.ui.sidePanel.querySelector('.thread-count').textContent, /2 replies/);
  onThreadMessageDeleted(ctx, { id: 12, room: 'general' });
  assert.deepEqual(shown(), ['11', '13']);
  onThreadMessageDeleted(ctx, { id: 10, room: 'general' });
  assert.equal(ctx.state.thread, null);
  assert.equal(ctx.ui.sidePanel.hidden, true);
});

test('a reactions event redraws the message with its chips and who reacted', () => {
  applyMessage(ctx, r, root(), { live: false });
  renderMessages(ctx, { toBottom: true });
  onReactions(ctx, { id: 10, room: 'general', reactions: [{ emoji: '👍', count: 2, users: ['bob', 'alice'] }] });
  const chip = ctx.ui.messages.querySelector('li[data-id="10"] .reaction');
  assert.equal(chip.getAttribute('aria-pressed'), 'true');
  assert.equal(chip.getAttribute('aria-label'), '👍 2 reactions');
  assert.equal(chip.querySelector('[role="tooltip"]').textContent, 'You and bob reacted with 👍');
  assert.deepEqual(r.timeline.get(10).reactions[0].users, ['bob', 'alice']);
});

test('a reply typed offline waits, then goes once, with its client_id, after the reconnect', async () => {
  applyMessage(ctx, r, root(), { live: false });
  fakeFetch({
    'GET /api/rooms/general/messages?thread=10&limit=50': { messages: [], more: false },
    'GET /api/rooms/general/messages?after=9&limit=1': { messages: [root()], more: true },
  });
  await openThread(ctx, r, 10);
  const t = ctx.state.thread;
  ctx.state.socket.connected = false;
  t.els.input.value = 'written offline';
  sendReply(ctx, t);
  await t.sendChain;
  assert.deepEqual(ctx.state.socket.emitted, []);
  assert.match(t.els.pending.textContent, /written offline.*Waiting for connection…/);

  ctx.state.socket = new FakeSocket((event, payload) =>
    event === 'send' ? { ok: true, message: reply(11, { user: 'alice', body: payload.body, client_id: payload.client_id }) } : { ok: true },
  );
  await refreshThread(ctx);
  await t.sendChain;
  const sends = ctx.state.socket.emitted.filter(([event]) => event === 'send');
  assert.equal(sends.length, 1);
  assert.deepEqual(Object.keys(sends[0][1]).sort(), ['body', 'client_id', 'room', 'thread']);
  assert.equal(sends[0][1].thread, 10);
  assert.equal(t.timeline.pending.size, 0);
  assert.equal(t.els.pending.children.length, 0);
  assert.deepEqual([...t.els.replies.children].map((li) => li.dataset.id), ['11']);
});

test('a reaction shows at once, then takes the list the server answers, or is put back with the reason', async () => {
  applyMessage(ctx, r, root({ reactions: [{ emoji: '👍', count: 1, users: ['bob'] }] }), { live: false });
  renderMessages(ctx, { toBottom: true });
  const chips = () => [...ctx.ui.messages.querySelectorAll('li[data-id="10"] .reaction')].map((b) => b.getAttribute('aria-label'));
  let answer = { ok: true, reactions: [{ emoji: '👍', count: 2, users: ['bob', 'alice'] }, { emoji: '🎉', count: 1, users: ['carol'] }] };
  ctx.state.socket = new FakeSocket(() => answer);
  const pending = react(ctx, r, 10, '👍', true);
  assert.deepEqual(chips(), ['👍 2 reactions'], 'shown before the ack');
  await pending;
  assert.deepEqual(ctx.state.socket.emitted, [['react', { id: 10, emoji: '👍', on: true }]]);
  assert.deepEqual(chips(), ['👍 2 reactions', '🎉 1 reaction'], "the server's list wins");

  answer = { ok: false, error: { code: 'invalid_payload', message: 'at most 20 emoji' } };
  await react(ctx, r, 10, '🚀', true);
  assert.deepEqual(chips(), ['👍 2 reactions', '🎉 1 reaction']);
  assert.match(ctx.ui.toasts.textContent, /Reaction not saved: A message can have at most 20 different reactions\./);
});
