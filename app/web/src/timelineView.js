// The message list of the open room: rendering, grouping, older pages, pending messages and
// scrolling.
import { api, roomPath } from './api.js';
import { clear, h } from './dom.js';
import { icon } from './icons.js';
import { GROUP_WINDOW_MS } from './shared.js';
import { deliver, discardPending } from './composer.js';
import { messageElement, pendingElement, showSendState } from './messageView.js';
import { renderHistoryStatus, updateUnread } from './rooms.js';
import { applyMessage } from './session.js';
import { swapKeepingFocus } from './threads.js';
import { toast } from './status.js';

export async function loadOlder(ctx) {
  const { state, ui } = ctx;
  const r = state.active && state.rooms.get(state.active);
  if (!r || state.loadingOlder || !r.timeline.hasMoreBefore || r.timeline.oldestId === null) {
    return;
  }
  state.loadingOlder = true;
  ui.history.textContent = 'Loading earlier messages…';
  ui.history.hidden = false;
  const name = r.name;
  try {
    const page = await api(
      'GET',
      roomPath(name, `/messages?before=${r.timeline.oldestId}&limit=50`),
    );
    if (state.active !== name) return;
    const scroller = ui.timeline;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    r.timeline.hasMoreBefore = Boolean(page.more);
    for (const m of page.messages) applyMessage(ctx, r, m, { live: false });
    // Keep the message the user was reading where it was.
    scroller.scrollTop = scroller.scrollHeight - fromBottom;
    updateUnread(ctx, r);
  } catch (err) {
    toast(ctx, `Earlier messages could not be loaded: ${err.message}`, 'error');
  } finally {
    state.loadingOlder = false;
    renderHistoryStatus(ctx);
  }
}

/** Loads older pages until the view can scroll, so scrolling up can ask for more. */
export async function fillViewport(ctx) {
  const { state, ui } = ctx;
  for (let i = 0; i < 5; i += 1) {
    const r = state.active && state.rooms.get(state.active);
    if (!r || !r.timeline.hasMoreBefore) return;
    if (ui.timeline.scrollHeight > ui.timeline.clientHeight + 40) return;
    await loadOlder(ctx);
  }
}

export function renderMessages(ctx, { toBottom }) {
  const { state, ui } = ctx;
  const r = state.rooms.get(state.active);
  if (!r) return;
  clear(ui.messages);
  clear(ui.pending);
  ui.messages.append(...r.timeline.messages().map((m) => messageElement(ctx, r, m)));
  for (const entry of r.timeline.pending.values()) renderPendingElement(ctx, entry);
  regroup(ctx);
  renderHistoryStatus(ctx);
  showJumpButton(ctx, false);
  if (toBottom) scrollToBottom(ctx);
}

export function insertMessageElement(ctx, message, beforeId) {
  const { state, ui } = ctx;
  const r = state.rooms.get(state.active);
  const li = messageElement(ctx, r, message);
  const next = beforeId === null ? null : ui.messages.querySelector(`li[data-id="${beforeId}"]`);
  ui.messages.insertBefore(li, next);
  regroup(ctx);
  renderHistoryStatus(ctx);
}

export function replaceMessageElement(ctx, message) {
  const { state, ui } = ctx;
  const r = state.rooms.get(state.active);
  const old = ui.messages.querySelector(`li[data-id="${message.id}"]`);
  if (!old || old.classList.contains('editing')) return;
  swapKeepingFocus(old, messageElement(ctx, r, message));
  regroup(ctx);
}

/** Collapses consecutive messages of one author and marks day changes. */
export function regroup(ctx) {
  const { ui } = ctx;
  let prev = null;
  for (const li of ui.messages.children) {
    const day = li.dataset.day;
    const newDay = !prev || prev.dataset.day !== day;
    const sameAuthor =
      prev &&
      !newDay &&
      prev.dataset.user === li.dataset.user &&
      Number(li.dataset.time) - Number(prev.dataset.time) < GROUP_WINDOW_MS;
    li.classList.toggle('continued', Boolean(sameAuthor));
    li.classList.toggle('new-day', newDay);
    prev = li;
  }
}

export function isNearBottom(ctx) {
  const { ui } = ctx;
  const t = ui.timeline;
  return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
}

export function scrollToBottom(ctx) {
  const { ui } = ctx;
  ui.timeline.scrollTop = ui.timeline.scrollHeight;
  showJumpButton(ctx, false);
}

export function showJumpButton(ctx, show) {
  const { ui } = ctx;
  ui.jumpButton.hidden = !show;
}

export function renderPendingElement(ctx, entry) {
  const { ui } = ctx;
  const attachment = entry.attachment
    ? h(
        'div',
        { class: 'attachment file' },
        h('span', { class: 'file-icon' }, icon('attach')),
        h('span', { class: 'file-name' }, entry.attachment.filename),
      )
    : null;
  ui.pending.append(pendingElement(ctx, entry, attachment));
  updatePendingElement(ctx, entry);
}

export function updatePendingElement(ctx, entry) {
  const { state, ui } = ctx;
  const li = ui.pending.querySelector(`li[data-client-id="${CSS.escape(entry.client_id)}"]`);
  if (!li) return;
  const r = state.rooms.get(entry.room);
  showSendState(ctx, li, entry, {
    retry: () => deliver(ctx, r, entry),
    discard: () => discardPending(ctx, r, entry),
  });
}

export function removePendingElement(ctx, clientId) {
  const { ui } = ctx;
  const li = ui.pending.querySelector(`li[data-client-id="${CSS.escape(clientId)}"]`);
  if (li) li.remove();
}
