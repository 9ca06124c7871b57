// Threads (CONTRACT 4.3): the reply count under a top-level message, the thread panel (its
// root, its replies paged with `?thread=`, a reply box), and replies arriving live. Replies
// never enter the room's timeline: `applyMessage` hands them here.
import { api, roomPath } from './api.js';
import { fullTimeOf, h, timeOf } from './dom.js';
import { icon } from './icons.js';
import { Timeline } from './timeline.js';
import { roomLabel } from './membership.js';
import { messageElement } from './messageView.js';
import { announce, toast } from './status.js';
import { closePanel, showPanel } from './sidePanel.js';
import { buildThreadComposer, flushReplies, renderPendingReplies } from './threadComposer.js';

const PAGE = 50;

/** "1 reply", "12 replies". */
export function replyCountText(count) {
  return `${count} ${count === 1 ? 'reply' : 'replies'}`;
}

/** The thread line under a top-level message that has replies, or null. */
export function threadSummary(ctx, r, m, { inPanel = false } = {}) {
  if (inPanel || m.thread || !m.reply_count) return null;
  return h(
    'div',
    { class: 'thread-summary' },
    h(
      'button',
      {
        type: 'button',
        class: 'link-button thread-open',
        dataset: { focusKey: 'thread' },
        onclick: () => openThread(ctx, r, m.id),
      },
      replyCountText(m.reply_count),
    ),
    m.last_reply_at
      ? h('time', { class: 'muted', datetime: m.last_reply_at, title: fullTimeOf(m.last_reply_at) }, ` Last reply ${timeOf(m.last_reply_at)}`)
      : null,
  );
}

/** The "Reply in thread" action of a top-level message. */
export function replyButton(ctx, r, m, { inPanel = false } = {}) {
  if (inPanel || m.thread) return null;
  return h(
    'button',
    {
      type: 'button',
      class: 'icon-button',
      'aria-label': 'Reply in thread',
      title: 'Reply in thread',
      dataset: { focusKey: 'reply' },
      onclick: () => openThread(ctx, r, m.id, { focusReply: true }),
    },
    icon('reply'),
  );
}

/** A message the client holds: in the room's timeline, or the open thread (root or reply). */
export function findMessage(ctx, r, id) {
  const t = ctx.state.thread;
  const inThread = t && t.room === r.name ? (t.root && t.root.id === id ? t.root : t.timeline.get(id)) : null;
  return r.timeline.get(id) || inThread;
}

/** Replaces a message element, keeping keyboard focus on the same control of the new one. */
export function swapKeepingFocus(old, fresh) {
  const active = document.activeElement;
  const key = active && old.contains(active) ? active.dataset.focusKey : undefined;
  old.replaceWith(fresh);
  if (key === undefined) return;
  const same = [...fresh.querySelectorAll('[data-focus-key]')].find((el) => el.dataset.focusKey === key);
  (same || fresh.querySelector('button') || fresh).focus();
}

/** Changes fields of a message wherever it is shown (reactions from the server, ...). */
export function setMessageFields(ctx, r, id, fields) {
  const { state, ui } = ctx;
  const main = r.timeline.get(id);
  if (main) {
    r.timeline.patch(id, fields);
    const li = state.active === r.name && ui.messages.querySelector(`li[data-id="${id}"]`);
    if (li && !li.classList.contains('editing')) swapKeepingFocus(li, messageElement(ctx, r, r.timeline.get(id)));
  }
  const t = state.thread;
  if (!t || t.room !== r.name) return;
  if (t.root && t.root.id === id) {
    t.root = { ...t.root, ...fields };
    renderRoot(ctx, t);
  }
  if (t.timeline.get(id)) {
    t.timeline.patch(id, fields);
    redrawReply(ctx, t, t.timeline.get(id));
  }
}

/** Opens the panel on the thread of `rootId`; `highlight` is a reply to show (from search). */
export async function openThread(ctx, r, rootId, { highlight = null, back = null, focusReply = false } = {}) {
  const { state } = ctx;
  const t = { room: r.name, rootId, root: r.timeline.get(rootId), timeline: new Timeline(), els: null };
  t.els = buildThreadBody(ctx, t);
  const extra = back
    ? h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: back }, '← Results')
    : null;
  showPanel(ctx, 'thread', {
    title: 'Thread',
    subtitle: roomLabel(r),
    closeLabel: 'Close thread',
    extra,
    body: t.els.body,
    onClose: () => {
      if (state.thread === t) state.thread = null;
    },
  });
  state.thread = t;
  renderRoot(ctx, t);
  if (focusReply || !highlight) t.els.input.focus();
  if (!t.root) {
    t.root = await fetchRoot(r, rootId);
    if (state.thread !== t) return;
    if (!t.root) {
      t.els.rootList.replaceChildren(h('li', { class: 'muted thread-gone' }, 'This message was deleted.'));
      t.els.composer.hidden = true;
      return;
    }
    renderRoot(ctx, t);
  }
  await loadReplies(ctx, t);
  if (highlight !== null) await showReply(ctx, t, highlight);
}

async function fetchRoot(r, rootId) {
  try {
    // Room history holds top-level messages only: the first one after rootId - 1 is the root.
    const page = await api('GET', roomPath(r.name, `/messages?after=${rootId - 1}&limit=1`));
    return page.messages[0] && page.messages[0].id === rootId ? page.messages[0] : null;
  } catch {
    return null;
  }
}

function buildThreadBody(ctx, t) {
  const els = {
    rootList: h('ol', { class: 'thread-list thread-root', 'aria-label': 'Thread start' }),
    count: h('div', { class: 'thread-count' }),
    older: h('div', { class: 'history-status', hidden: true }),
    replies: h('ol', { class: 'thread-list', 'aria-label': 'Replies' }),
    pending: h('ol', { class: 'thread-list pending-replies', 'aria-label': 'Replies being sent' }),
  };
  els.scroller = h('div', { class: 'panel-body thread-body' }, els.rootList, els.count, els.older, els.replies, els.pending);
  els.rootList.append(h('li', { class: 'muted thread-loading' }, 'Loading…'));
  Object.assign(els, buildThreadComposer(ctx, t));
  els.body = h('div', { class: 'thread-panel' }, els.scroller, els.composer);
  return els;
}

export function renderRoot(ctx, t) {
  const r = ctx.state.rooms.get(t.room);
  if (!t.root || !r) return;
  const old = t.els.rootList.firstElementChild;
  const fresh = messageElement(ctx, r, t.root, { inPanel: true });
  if (old && old.classList.contains('editing')) return;
  if (old) swapKeepingFocus(old, fresh);
  else t.els.rootList.append(fresh);
  t.els.count.textContent = replyCountText(t.root.reply_count || 0);
}

function renderReplies(ctx, t) {
  const r = ctx.state.rooms.get(t.room);
  t.els.replies.replaceChildren(...t.timeline.messages().map((m) => messageElement(ctx, r, m, { inPanel: true })));
  t.els.older.hidden = !t.timeline.hasMoreBefore;
  t.els.older.replaceChildren(
    h('button', { type: 'button', class: 'link-button', onclick: () => loadReplies(ctx, t, { older: true }) }, 'Load earlier replies'),
  );
  renderPendingReplies(ctx, t);
}

function redrawReply(ctx, t, m) {
  const r = ctx.state.rooms.get(t.room);
  const li = t.els.replies.querySelector(`li[data-id="${m.id}"]`);
  if (li && !li.classList.contains('editing')) swapKeepingFocus(li, messageElement(ctx, r, m, { inPanel: true }));
}

/** The newest page of replies, or (`older`) the page before the oldest one shown. */
export async function loadReplies(ctx, t, { older = false } = {}) {
  if (t.loading) return;
  t.loading = true;
  const cursor = older && t.timeline.oldestId !== null ? `&before=${t.timeline.oldestId}` : '';
  const { scroller } = t.els;
  const fromBottom = scroller.scrollHeight - scroller.scrollTop;
  try {
    const page = await api('GET', roomPath(t.room, `/messages?thread=${t.rootId}&limit=${PAGE}${cursor}`));
    if (ctx.state.thread !== t) return;
    if (older || t.timeline.size === 0) t.timeline.hasMoreBefore = Boolean(page.more);
    for (const m of page.messages) t.timeline.upsert(m);
    renderReplies(ctx, t);
    scroller.scrollTop = older ? scroller.scrollHeight - fromBottom : scroller.scrollHeight;
  } catch (err) {
    toast(ctx, `The thread could not be loaded: ${err.message}`, 'error');
  } finally {
    t.loading = false;
  }
}

/** Loads older replies until `id` is shown, then scrolls to it and marks it. */
async function showReply(ctx, t, id) {
  for (let i = 0; i < 20 && !t.timeline.get(id) && t.timeline.hasMoreBefore; i += 1) {
    await loadReplies(ctx, t, { older: true });
    if (ctx.state.thread !== t) return;
  }
  const li = t.els.replies.querySelector(`li[data-id="${id}"]`);
  if (li) flash(li);
  else toast(ctx, 'That reply is no longer there.', 'error');
}

/** Brings a message into view, marks it for a moment and gives it focus. */
export function flash(li) {
  li.tabIndex = -1;
  li.classList.add('flash');
  li.scrollIntoView({ block: 'center' });
  li.focus({ preventScroll: true });
  setTimeout(() => li.classList.remove('flash'), 2500);
}

/** A reply (from a join, the live feed or an ack): into the open thread if it is its own. */
export function applyReply(ctx, r, message, { live }) {
  const t = ctx.state.thread;
  if (!t || t.room !== r.name || t.rootId !== message.thread) return { kind: 'reply' };
  const wasPending = Boolean(message.client_id && t.timeline.pending.has(message.client_id));
  const { scroller } = t.els;
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  const result = t.timeline.upsert(message);
  if (wasPending) renderPendingReplies(ctx, t);
  if (result.kind === 'added') {
    const next = result.before === null ? null : t.els.replies.querySelector(`li[data-id="${result.before}"]`);
    t.els.replies.insertBefore(messageElement(ctx, r, message, { inPanel: true }), next);
    if (atBottom || wasPending) scroller.scrollTop = scroller.scrollHeight;
    const mine = message.user.toLowerCase() === ctx.me.username.toLowerCase();
    if (live && !mine) announce(ctx, `${message.user} replied in the thread: ${message.body}`);
  } else if (result.kind === 'updated') {
    redrawReply(ctx, t, message);
  }
  return { kind: 'reply' };
}

/** `message_updated` of the open thread's root: a new reply count, an edit. */
export function onThreadRootUpdated(ctx, message) {
  const t = ctx.state.thread;
  if (!t || message.room !== t.room || message.id !== t.rootId || !t.root) return;
  if (t.root.edited_at && message.edited_at && message.edited_at < t.root.edited_at) return;
  t.root = message;
  renderRoot(ctx, t);
}

/** `message_deleted`: a reply leaves the panel; the root takes its thread (and the panel) away. */
export function onThreadMessageDeleted(ctx, { id, room }) {
  const t = ctx.state.thread;
  if (!t || t.room !== room) return;
  if (id === t.rootId) {
    const wasHere = ctx.ui.sidePanel.contains(document.activeElement);
    closePanel(ctx, { refocus: wasHere });
    toast(ctx, 'The thread was deleted.');
    return;
  }
  if (t.timeline.remove(id)) {
    const li = t.els.replies.querySelector(`li[data-id="${id}"]`);
    if (li) li.remove();
  }
}

/** Resolves once the room is joined on the current connection (false after `timeoutMs`). */
export async function whenJoined(r, timeoutMs = 10000) {
  const until = Date.now() + timeoutMs;
  while (!r.joined && Date.now() < until) {
    if (r.joining) await r.joining;
    else await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return r.joined;
}

/** After a reconnect: read the open thread again (edits and deletions made meanwhile), then
 * send the replies typed while offline. */
export async function refreshThread(ctx) {
  const t = ctx.state.thread;
  if (!t) return;
  const r = ctx.state.rooms.get(t.room);
  if (!r || !(await whenJoined(r, 30000)) || ctx.state.thread !== t) return;
  const fresh = await fetchRoot(r, t.rootId);
  if (ctx.state.thread !== t) return;
  if (fresh) {
    t.root = fresh;
    renderRoot(ctx, t);
  }
  const pending = t.timeline.pending;
  t.timeline = new Timeline();
  t.timeline.pending = pending;
  await loadReplies(ctx, t);
  flushReplies(ctx, t);
}
