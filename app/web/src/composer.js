// The composer: sending (with pending messages kept until acknowledged), edits, deletions and
// typing notices.
import { newClientId } from './timeline.js';
import { contentTypeOf } from './upload.js';
import { codePoints, errorText, MAX_BODY, TYPING_SEND_EVERY_MS } from './shared.js';
import { renderUpload } from './attachments.js';
import { renderRoomList, updateUnread } from './rooms.js';
import { applyMessage, emitAck, onMessageDeleted } from './session.js';
import { removePendingElement, renderPendingElement, scrollToBottom, updatePendingElement } from './timelineView.js';

export function sendFromComposer(ctx) {
  const { state, ui, me } = ctx;
  const r = state.active && state.rooms.get(state.active);
  if (!r) return;
  const text = ui.input.value;
  const upload = state.upload;
  if (upload && upload.status !== 'ready') {
    setComposerError(ctx, 
      upload.status === 'failed'
        ? 'The attachment did not upload. Remove it or pick the file again.'
        : 'Wait for the upload to finish.',
    );
    return;
  }
  let body = text;
  if (!text.trim()) {
    if (!upload) return;
    body = upload.file.name;
  }
  if (codePoints(body.trim()) > MAX_BODY) {
    setComposerError(ctx, `Messages can be at most ${MAX_BODY} characters.`);
    return;
  }
  setComposerError(ctx, '');
  const attachment = upload
    ? {
        key: upload.key,
        filename: upload.file.name,
        content_type: contentTypeOf(upload.file),
        size: upload.file.size,
      }
    : null;
  const entry = r.timeline.addPending({
    client_id: newClientId(),
    room: r.name,
    body,
    attachment,
    user: me.username,
    created_at: new Date().toISOString(),
  });
  ui.input.value = '';
  autoGrow(ctx);
  state.upload = null;
  renderUpload(ctx);
  renderPendingElement(ctx, entry);
  scrollToBottom(ctx);
  state.lastTypingSent = 0;
  deliver(ctx, r, entry);
}

/**
 * Sends one after another, each after the previous ack: sent together, the server could
 * commit them in another order than the user typed them.
 */
export function deliver(ctx, r, entry) {
  entry.state = 'pending';
  entry.error = null;
  entry.queued = true;
  updatePendingElement(ctx, entry);
  r.sendChain = (r.sendChain || Promise.resolve())
    .then(() => deliverNow(ctx, r, entry))
    .catch(() => {});
  return r.sendChain;
}

export async function deliverNow(ctx, r, entry) {
  const { state } = ctx;
  entry.queued = false;
  if (!r.timeline.pending.has(entry.client_id)) return; // confirmed or discarded meanwhile
  if (!state.socket || !state.socket.connected || !r.joined) return; // flushed after re-join
  entry.inFlight = true;
  const payload = { room: r.name, body: entry.body, client_id: entry.client_id };
  if (entry.attachment) payload.attachment = entry.attachment.key;
  const ack = await emitAck(ctx, 'send', payload);
  entry.inFlight = false;
  if (ack.ok) {
    applyMessage(ctx, r, ack.message, { live: false });
    updateUnread(ctx, r);
    renderRoomList(ctx);
    return;
  }
  if (!r.timeline.pending.has(entry.client_id)) return; // confirmed meanwhile by the broadcast
  if (ack.error.code === 'timeout' && !(state.socket && state.socket.connected)) return;
  entry.state = 'failed';
  entry.error = errorText(ack.error);
  updatePendingElement(ctx, entry);
}

export function flushPending(ctx, r) {
  for (const entry of r.timeline.pending.values()) {
    // The same client_id again is safe: the server answers with the first message.
    if (entry.state === 'pending' && !entry.inFlight && !entry.queued) deliver(ctx, r, entry);
  }
}

export function discardPending(ctx, r, entry) {
  r.timeline.pending.delete(entry.client_id);
  removePendingElement(ctx, entry.client_id);
}

export async function editMessage(ctx, r, id, body) {
  const ack = await emitAck(ctx, 'edit', { id, body });
  if (ack.ok) {
    applyMessage(ctx, r, ack.message, { live: false });
    return null;
  }
  return errorText(ack.error);
}

export async function deleteMessage(ctx, r, id) {
  const ack = await emitAck(ctx, 'delete', { id });
  if (ack.ok) {
    onMessageDeleted(ctx, { id, room: r.name });
    return null;
  }
  return errorText(ack.error);
}

export function onComposerInput(ctx) {
  const { state, ui } = ctx;
  autoGrow(ctx);
  const r = state.active && state.rooms.get(state.active);
  const length = codePoints(ui.input.value);
  ui.counter.hidden = length < MAX_BODY - 500;
  ui.counter.textContent = `${length} / ${MAX_BODY}`;
  ui.counter.classList.toggle('over', length > MAX_BODY);
  if (!r || !r.joined || !ui.input.value.trim()) return;
  const now = Date.now();
  if (now - state.lastTypingSent > TYPING_SEND_EVERY_MS) {
    state.lastTypingSent = now;
    state.socket.emit('typing', { room: r.name }, () => {});
  }
}

export function autoGrow(ctx) {
  const { ui } = ctx;
  ui.input.style.height = 'auto';
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 200)}px`;
}

export function setComposerError(ctx, text) {
  const { ui } = ctx;
  ui.composerError.textContent = text;
}
