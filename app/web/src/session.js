// The socket session: the Socket.IO connection, joins with `since` and gap filling, acks, and
// the events the server sends.
import { io } from 'socket.io-client';
import { api, roomPath, session } from './api.js';
import { ACK_TIMEOUT_MS, errorText, GAP_PAGES_MAX, TYPING_SHOW_MS } from './shared.js';
import { flushPending } from './composer.js';
import { endSession } from './lifecycle.js';
import { onMemberAdded, onMemberRemoved } from './membership.js';
import { countLive, noteDeleted, noteJoined, onMention, onReadEvent, requestRefresh } from './readSync.js';
import { listenForMessageFeatures } from './messageFeatures.js';
import { refreshRooms, renderActiveRoom, renderHeader, renderOnline, renderRoomList, renderTyping, updateUnread } from './rooms.js';
import { announce, setBanner, toast } from './status.js';
import { fillViewport, insertMessageElement, isNearBottom, regroup, removePendingElement, renderMessages, replaceMessageElement, scrollToBottom, showJumpButton } from './timelineView.js';
import { applyReply } from './threads.js';

export function emitAck(ctx, event, payload, timeout = ACK_TIMEOUT_MS) {
  const { state } = ctx;
  return new Promise((resolve) => {
    if (!state.socket) {
      resolve({ ok: false, error: { code: 'timeout' } });
      return;
    }
    state.socket.timeout(timeout).emit(event, payload, (err, ack) => {
      if (err) resolve({ ok: false, error: { code: 'timeout' } });
      else resolve(ack || { ok: false, error: { code: 'invalid_payload' } });
    });
  });
}

export function connect(ctx) {
  const { state, ui } = ctx;
  const socket = io({
    path: '/socket.io/',
    // Read per attempt, so a reconnect always presents the current token.
    auth: (cb) => cb({ token: session.token }),
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 4000,
    randomizationFactor: 0.4,
  });
  state.socket = socket;

  socket.on('connect', async () => {
    const wasConnected = state.everConnected;
    state.everConnected = true;
    ui.shell.dataset.connection = 'connected';
    showTransport(ctx);
    setBanner(ctx, null);
    if (wasConnected) announce(ctx, 'Reconnected.');
    await refreshRooms(ctx);
    const joins = [];
    for (const r of state.rooms.values()) {
      if (!r.wanted) continue;
      const hadMessages = r.timeline.size > 0;
      joins.push(
        joinRoom(ctx, r).then(() => {
          if (wasConnected && hadMessages) return reconcile(ctx, r);
          return null;
        }),
      );
    }
    await Promise.all(joins);
  });

  socket.on('disconnect', (reason) => {
    ui.shell.dataset.connection = 'disconnected';
    ui.roomView.dataset.state = 'joining';
    for (const r of state.rooms.values()) {
      r.joined = false;
      r.joining = null;
      for (const timer of r.typing.values()) clearTimeout(timer);
      r.typing.clear();
    }
    renderTyping(ctx);
    setBanner(ctx, 'Connection lost. Reconnecting…');
    announce(ctx, 'Connection lost. Reconnecting.');
    if (reason === 'io server disconnect') {
      // The server hung up on purpose: usually a revoked session. Find out before retrying.
      api('GET', '/api/me')
        .then(() => socket.connect())
        .catch(() => {});
    }
  });

  socket.on('connect_error', (err) => {
    if (err && err.message === 'unauthorized') {
      endSession(ctx, 'Your session has ended. Please sign in again.');
      return;
    }
    setBanner(ctx, 
      state.everConnected ? 'Connection lost. Reconnecting…' : 'Connecting to the server…',
    );
  });

  socket.io.on('open', () => socket.io.engine.on('upgrade', ctx.bound.showTransport));
  socket.on('message', (message) => onMessage(ctx, message));
  socket.on('message_updated', (message) => onMessageUpdated(ctx, message));
  socket.on('message_deleted', (event) => onMessageDeleted(ctx, event));
  socket.on('presence', (event) => onPresence(ctx, event));
  socket.on('typing', (event) => onTyping(ctx, event));
  socket.on('member_added', (event) => onMemberAdded(ctx, event));
  socket.on('member_removed', (event) => onMemberRemoved(ctx, event));
  socket.on('read', (event) => onReadEvent(ctx, event));
  socket.on('mention', (event) => onMention(ctx, event));
  listenForMessageFeatures(ctx, socket);
}

/** Which transport carries the connection, for support questions ("it is slow here"). */
export function showTransport(ctx) {
  const { state, ui } = ctx;
  const engine = state.socket && state.socket.io.engine;
  const name = engine && engine.transport ? engine.transport.name : '';
  ui.shell.dataset.transport = name;
  const how = name === 'websocket' ? 'WebSocket' : 'HTTP long-polling';
  ui.meStatus.title = name ? `Connected over ${how}` : 'Not connected';
}

/** Joins (or re-joins after a reconnect) and fills whatever was missed, in id order. */
export function joinRoom(ctx, r) {
  const { state, ui, store } = ctx;
  if (r.joining) return r.joining;
  r.joining = (async () => {
    const since = r.timeline.newestId;
    const payload = since === null ? { room: r.name } : { room: r.name, since };
    const ack = await emitAck(ctx, 'join', payload);
    if (!ack.ok) {
      r.joining = null;
      if (ack.error && ack.error.code === 'timeout') return;
      r.wanted = false;
      store.setJoined(r.name, false);
      // Unknown, or private and not ours: it has no place in the list either.
      if (['forbidden', 'not_found'].includes(ack.error && ack.error.code)) {
        state.rooms.delete(r.name);
      }
      toast(ctx, `Could not open #${r.name}: ${errorText(ack.error)}`, 'error');
      if (state.active === r.name) {
        state.active = null;
        // so that its link (the same hash) opens it again once it may be joined
        history.replaceState(null, '', '#');
        renderActiveRoom(ctx);
      }
      renderRoomList(ctx);
      return;
    }
    r.room = ack.room || r.room;
    r.online = new Set(ack.online || []);
    noteJoined(ctx, r, ack);
    if (since === null) r.timeline.hasMoreBefore = Boolean(ack.more);
    for (const m of ack.messages || []) applyMessage(ctx, r, m, { live: false });
    let more = since !== null && Boolean(ack.more);
    let pages = 0;
    while (more && pages < GAP_PAGES_MAX) {
      pages += 1;
      try {
        const page = await api(
          'GET',
          roomPath(r.name, `/messages?after=${r.timeline.newestId}&limit=100`),
        );
        for (const m of page.messages) applyMessage(ctx, r, m, { live: false });
        more = page.more && page.messages.length > 0;
      } catch (err) {
        toast(ctx, `Some messages in #${r.name} could not be loaded: ${err.message}`, 'error');
        break;
      }
    }
    r.joined = true;
    r.joining = null;
    updateUnread(ctx, r);
    if (state.active === r.name) {
      ui.roomView.dataset.state = 'joined';
      renderHeader(ctx);
      renderOnline(ctx);
      if (since === null) renderMessages(ctx, { toBottom: true });
      fillViewport(ctx);
    }
    renderRoomList(ctx);
    flushPending(ctx, r);
    // Counts as of after the join: what came between the last count and the join is in the
    // history, not in the live frames that are counted here.
    requestRefresh(ctx);
  })();
  return r.joining;
}

/**
 * `since` brings what was sent while we were away, but not the edits and deletions of
 * messages we already had: re-read the window we hold and apply the differences.
 */
export async function reconcile(ctx, r) {
  const upTo = r.timeline.newestId;
  if (upTo === null) return;
  let after = r.timeline.oldestId - 1;
  const seen = new Set();
  let complete = false;
  try {
    for (let page = 0; page < 5 && !complete; page += 1) {
      const result = await api('GET', roomPath(r.name, `/messages?after=${after}&limit=100`));
      for (const m of result.messages) {
        seen.add(m.id);
        applyMessage(ctx, r, m, { live: false });
      }
      const last = result.messages.length ? result.messages[result.messages.length - 1].id : null;
      complete = !result.more || last === null || last >= upTo;
      if (last !== null) after = last;
    }
  } catch {
    return; // the next reconnect tries again; what is shown is still what we knew
  }
  if (!complete) return;
  for (const id of [...r.timeline.ids]) {
    if (id <= upTo && !seen.has(id)) onMessageDeleted(ctx, { id, room: r.name });
  }
}

export function applyMessage(ctx, r, message, { live }) {
  const { state } = ctx;
  r.read.seen(message.id);
  if (message.thread) return applyReply(ctx, r, message, { live }); // replies live in their thread
  const wasPending = message.client_id && r.timeline.pending.has(message.client_id);
  const result = r.timeline.upsert(message);
  if (state.active !== r.name) return result;
  if (wasPending) removePendingElement(ctx, message.client_id);
  if (result.kind === 'added') {
    const stick = isNearBottom(ctx) || wasPending;
    insertMessageElement(ctx, message, result.before);
    if (stick) scrollToBottom(ctx);
    else if (live) showJumpButton(ctx, true);
  } else if (result.kind === 'updated') {
    replaceMessageElement(ctx, message);
  }
  return result;
}

export function onMessage(ctx, message) {
  const { state, me } = ctx;
  const r = state.rooms.get(message.room);
  if (!r || !r.wanted) return;
  const counted = countLive(ctx, r, message);
  const result = applyMessage(ctx, r, message, { live: true });
  if (result.kind !== 'added') {
    if (counted) {
      updateUnread(ctx, r);
      renderRoomList(ctx);
    }
    return;
  }
  const mine = message.user.toLowerCase() === me.username.toLowerCase();
  stopTyping(ctx, r, message.user);
  if (!mine) {
    if (state.active === r.name) {
      const who = message.attachment
        ? `${message.user} sent ${message.attachment.filename}`
        : message.user;
      announce(ctx, `${who}: ${message.body}`);
    }
  }
  updateUnread(ctx, r);
  renderRoomList(ctx);
}

export function onMessageUpdated(ctx, message) {
  const { state } = ctx;
  const r = state.rooms.get(message.room);
  if (!r) return;
  // A reply to an old message updates a root we may not hold: adding it would leave a gap.
  const t = r.timeline;
  if (!message.thread && !t.get(message.id) && t.hasMoreBefore && message.id < t.oldestId) return;
  applyMessage(ctx, r, message, { live: false });
}

export function onMessageDeleted(ctx, { id, room }) {
  const { state, ui } = ctx;
  const r = state.rooms.get(room);
  if (!r) return;
  noteDeleted(ctx, r, id);
  if (r.timeline.remove(id) && state.active === room) {
    const li = ui.messages.querySelector(`li[data-id="${id}"]`);
    if (li) li.remove();
    regroup(ctx);
  }
  updateUnread(ctx, r);
  renderRoomList(ctx);
}

export function onPresence(ctx, { room, user, status }) {
  const { state } = ctx;
  const r = state.rooms.get(room);
  if (!r) return;
  if (status === 'online') r.online.add(user);
  else {
    r.online.delete(user);
    stopTyping(ctx, r, user);
  }
  if (state.active === room) renderOnline(ctx);
}

export function onTyping(ctx, { room, user }) {
  const { state, me } = ctx;
  const r = state.rooms.get(room);
  if (!r || user.toLowerCase() === me.username.toLowerCase()) return;
  clearTimeout(r.typing.get(user));
  r.typing.set(
    user,
    setTimeout(() => stopTyping(ctx, r, user), TYPING_SHOW_MS),
  );
  if (state.active === room) renderTyping(ctx);
}

export function stopTyping(ctx, r, user) {
  const { state } = ctx;
  if (!r.typing.has(user)) return;
  clearTimeout(r.typing.get(user));
  r.typing.delete(user);
  if (state.active === r.name) renderTyping(ctx);
}
