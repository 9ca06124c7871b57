// The thread panel's reply box: `send` with `thread`, shown at once as pending and kept until
// acknowledged (with the same client_id on a retry, so a reply is never stored twice), one
// after another, as the room's composer does.
import { h } from './dom.js';
import { codePoints, errorText, MAX_BODY } from './shared.js';
import { newClientId } from './timeline.js';
import { pendingElement, showSendState } from './messageView.js';
import { attachMentionAutocomplete } from './mentionAutocomplete.js';
import { applyMessage, emitAck } from './session.js';

/** The reply box of thread `t`: its elements, for the panel. */
export function buildThreadComposer(ctx, t) {
  const input = h('textarea', {
    class: 'composer-input',
    rows: 1,
    'aria-label': 'Reply to the thread',
    placeholder: 'Reply…',
  });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const composer = h(
    'form',
    { class: 'composer thread-composer', 'aria-label': 'Send a reply' },
    h(
      'div',
      { class: 'composer-box' },
      input,
      h('button', { type: 'submit', class: 'btn btn-primary send', 'aria-label': 'Send reply' }, 'Send'),
    ),
    error,
  );
  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    sendReply(ctx, t);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendReply(ctx, t);
    }
  });
  input.addEventListener('input', () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  });
  attachMentionAutocomplete(ctx, input, composer, () => t.room);
  return { composer, input, error };
}

export function sendReply(ctx, t) {
  const { input, error } = t.els;
  const text = input.value;
  if (!text.trim() || !t.root) return;
  if (codePoints(text.trim()) > MAX_BODY) {
    error.textContent = `Messages can be at most ${MAX_BODY} characters.`;
    return;
  }
  error.textContent = '';
  const entry = t.timeline.addPending({
    client_id: newClientId(),
    room: t.room,
    thread: t.rootId,
    body: text,
    user: ctx.me.username,
    created_at: new Date().toISOString(),
  });
  input.value = '';
  input.style.height = 'auto';
  renderPendingReplies(ctx, t);
  t.els.scroller.scrollTop = t.els.scroller.scrollHeight;
  deliverReply(ctx, t, entry);
}

function deliverReply(ctx, t, entry) {
  entry.state = 'pending';
  entry.error = null;
  entry.queued = true;
  renderPendingReplies(ctx, t);
  t.sendChain = (t.sendChain || Promise.resolve()).then(() => deliverNow(ctx, t, entry)).catch(() => {});
  return t.sendChain;
}

async function deliverNow(ctx, t, entry) {
  const { state } = ctx;
  entry.queued = false;
  const r = state.rooms.get(t.room);
  if (!t.timeline.pending.has(entry.client_id) || !r) return;
  if (!state.socket || !state.socket.connected || !r.joined) return; // sent after the re-join
  entry.inFlight = true;
  const ack = await emitAck(ctx, 'send', { room: t.room, body: entry.body, client_id: entry.client_id, thread: t.rootId });
  entry.inFlight = false;
  if (ack.ok) {
    applyMessage(ctx, r, ack.message, { live: false });
    return;
  }
  if (!t.timeline.pending.has(entry.client_id)) return;
  if (ack.error.code === 'timeout' && !(state.socket && state.socket.connected)) return;
  entry.state = 'failed';
  entry.error = errorText(ack.error);
  renderPendingReplies(ctx, t);
}

/** Sends what waited for the connection (after a reconnect and re-join). */
export function flushReplies(ctx, t) {
  for (const entry of t.timeline.pending.values()) {
    if (entry.state === 'pending' && !entry.inFlight && !entry.queued) deliverReply(ctx, t, entry);
  }
  renderPendingReplies(ctx, t);
}

export function renderPendingReplies(ctx, t) {
  t.els.pending.replaceChildren(
    ...[...t.timeline.pending.values()].map((entry) => {
      const li = pendingElement(ctx, entry);
      showSendState(ctx, li, entry, {
        retry: () => deliverReply(ctx, t, entry),
        discard: () => discard(ctx, t, entry),
      });
      return li;
    }),
  );
}

function discard(ctx, t, entry) {
  t.timeline.pending.delete(entry.client_id);
  renderPendingReplies(ctx, t);
}
