// The signed-in client: rooms, the message view, the composer and the live connection.
import { io } from 'socket.io-client';
import { api, ApiError, roomPath, session, uploadPath } from './api.js';
import { clear, colourFor, dayOf, fullTimeOf, h, initialOf, timeOf } from './dom.js';
import { icon } from './icons.js';
import { countUnread, formatBytes, newClientId, Timeline, typingText } from './timeline.js';
import {
  attachmentUrl,
  contentTypeOf,
  downloadAttachment,
  forgetAttachments,
  isPreviewable,
  postToStorage,
  requestUpload,
} from './upload.js';

const MAX_BODY = 4000;
const ACK_TIMEOUT_MS = 15000;
const TYPING_SEND_EVERY_MS = 2500;
const TYPING_SHOW_MS = 4000;
const GROUP_WINDOW_MS = 5 * 60 * 1000;
const GAP_PAGES_MAX = 20;
const ROOM_NAME_RE = /^[a-z0-9-]{1,64}$/;

const ERROR_TEXT = {
  rate_limited: 'You are sending messages too fast. Wait a moment and retry.',
  too_large: 'That is too large.',
  unsupported_type: 'That file type is not allowed.',
  forbidden: 'You are not allowed to do that here.',
  not_found: 'That no longer exists.',
  invalid_payload: 'That was not accepted.',
  unavailable: 'The service is busy. Try again shortly.',
  timeout: 'No answer from the server.',
  unauthorized: 'Your session has ended.',
};

function errorText(error) {
  if (!error) return 'Something went wrong.';
  if (error.message && error.code !== 'timeout') return error.message;
  return ERROR_TEXT[error.code] || 'Something went wrong.';
}

function codePoints(text) {
  return [...text].length;
}

/** Everything the signed-in view needs, created once per sign-in and torn down on sign-out. */
export function startChat(root, me, onSignedOut) {
  const store = localStore(me.username);
  const state = {
    rooms: new Map(), // name -> RoomState
    active: null,
    socket: null,
    everConnected: false,
    upload: null,
    lastTypingSent: 0,
    loadingOlder: false,
    ended: false,
  };
  const ui = buildLayout(me);
  root.replaceChildren(ui.shell);

  // ---------------------------------------------------------------- rooms
  function roomState(name) {
    let r = state.rooms.get(name);
    if (!r) {
      r = {
        name,
        room: { name, private: false, owner: null },
        timeline: new Timeline(),
        joined: false, // the server acknowledged our join on the current connection
        wanted: false, // the user is in this room (stays across reconnects)
        online: new Set(),
        typing: new Map(), // user -> timer
        lastRead: store.lastRead(name),
        unread: 0,
        joining: null,
        scrollTop: null,
      };
      state.rooms.set(name, r);
    }
    return r;
  }

  async function refreshRooms() {
    let payload;
    try {
      payload = await api('GET', '/api/rooms');
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      toast(err.message, 'error');
      return;
    }
    const seen = new Set();
    for (const room of payload.rooms) {
      seen.add(room.name);
      const r = roomState(room.name);
      r.room = room;
      // A private room in this list is one we belong to, so we are in it.
      if ((room.private || store.isJoined(room.name)) && !r.wanted) {
        r.wanted = true;
        if (state.socket && state.socket.connected) joinRoom(r);
      }
    }
    for (const [name, r] of state.rooms) {
      if (!seen.has(name) && !r.wanted) state.rooms.delete(name);
    }
    renderRoomList();
    if (state.active) renderHeader();
  }

  function openRoom(name) {
    const r = roomState(name);
    if (state.active && state.active !== name) saveScroll();
    state.active = name;
    if (location.hash !== `#/r/${encodeURIComponent(name)}`) {
      history.replaceState(null, '', `#/r/${encodeURIComponent(name)}`);
    }
    if (!r.wanted) {
      r.wanted = true;
      if (!r.room.private) store.setJoined(name, true);
    }
    ui.shell.classList.remove('show-sidebar');
    if (state.upload && state.upload.room !== name) cancelUpload();
    renderActiveRoom();
    renderRoomList();
    if (!r.joined && state.socket && state.socket.connected) joinRoom(r);
    ui.input.focus();
  }

  async function leaveRoom(name) {
    const r = state.rooms.get(name);
    if (!r) return;
    r.wanted = false;
    r.joined = false;
    store.setJoined(name, false);
    if (state.socket && state.socket.connected) await emitAck('leave', { room: name });
    r.timeline = new Timeline();
    r.online.clear();
    if (state.active === name) {
      state.active = null;
      history.replaceState(null, '', '#');
      renderActiveRoom();
    }
    renderRoomList();
    toast(`You left #${name}.`);
  }

  // ---------------------------------------------------------------- connection
  function emitAck(event, payload, timeout = ACK_TIMEOUT_MS) {
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

  function connect() {
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
      showTransport();
      setBanner(null);
      if (wasConnected) announce('Reconnected.');
      await refreshRooms();
      const joins = [];
      for (const r of state.rooms.values()) {
        if (!r.wanted) continue;
        const hadMessages = r.timeline.size > 0;
        joins.push(
          joinRoom(r).then(() => {
            if (wasConnected && hadMessages) return reconcile(r);
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
      renderTyping();
      setBanner('Connection lost. Reconnecting…');
      announce('Connection lost. Reconnecting.');
      if (reason === 'io server disconnect') {
        // The server hung up on purpose: usually a revoked session. Find out before retrying.
        api('GET', '/api/me')
          .then(() => socket.connect())
          .catch(() => {});
      }
    });

    socket.on('connect_error', (err) => {
      if (err && err.message === 'unauthorized') {
        endSession('Your session has ended. Please sign in again.');
        return;
      }
      setBanner(
        state.everConnected ? 'Connection lost. Reconnecting…' : 'Connecting to the server…',
      );
    });

    socket.io.on('open', () => socket.io.engine.on('upgrade', showTransport));
    socket.on('message', (message) => onMessage(message));
    socket.on('message_updated', (message) => onMessageUpdated(message));
    socket.on('message_deleted', (event) => onMessageDeleted(event));
    socket.on('presence', (event) => onPresence(event));
    socket.on('typing', (event) => onTyping(event));
  }

  /** Which transport carries the connection, for support questions ("it is slow here"). */
  function showTransport() {
    const engine = state.socket && state.socket.io.engine;
    const name = engine && engine.transport ? engine.transport.name : '';
    ui.shell.dataset.transport = name;
    const how = name === 'websocket' ? 'WebSocket' : 'HTTP long-polling';
    ui.meStatus.title = name ? `Connected over ${how}` : 'Not connected';
  }

  /** Joins (or re-joins after a reconnect) and fills whatever was missed, in id order. */
  function joinRoom(r) {
    if (r.joining) return r.joining;
    r.joining = (async () => {
      const since = r.timeline.newestId;
      const payload = since === null ? { room: r.name } : { room: r.name, since };
      const ack = await emitAck('join', payload);
      if (!ack.ok) {
        r.joining = null;
        if (ack.error && ack.error.code === 'timeout') return;
        r.wanted = false;
        store.setJoined(r.name, false);
        // Unknown, or private and not ours: it has no place in the list either.
        if (['forbidden', 'not_found'].includes(ack.error && ack.error.code)) {
          state.rooms.delete(r.name);
        }
        toast(`Could not open #${r.name}: ${errorText(ack.error)}`, 'error');
        if (state.active === r.name) {
          state.active = null;
          renderActiveRoom();
        }
        renderRoomList();
        return;
      }
      r.room = ack.room || r.room;
      r.online = new Set(ack.online || []);
      if (since === null) r.timeline.hasMoreBefore = Boolean(ack.more);
      for (const m of ack.messages || []) applyMessage(r, m, { live: false });
      let more = since !== null && Boolean(ack.more);
      let pages = 0;
      while (more && pages < GAP_PAGES_MAX) {
        pages += 1;
        try {
          const page = await api(
            'GET',
            roomPath(r.name, `/messages?after=${r.timeline.newestId}&limit=100`),
          );
          for (const m of page.messages) applyMessage(r, m, { live: false });
          more = page.more && page.messages.length > 0;
        } catch (err) {
          toast(`Some messages in #${r.name} could not be loaded: ${err.message}`, 'error');
          break;
        }
      }
      r.joined = true;
      r.joining = null;
      updateUnread(r);
      if (state.active === r.name) {
        ui.roomView.dataset.state = 'joined';
        renderHeader();
        renderOnline();
        if (since === null) renderMessages({ toBottom: true });
        fillViewport();
      }
      renderRoomList();
      flushPending(r);
    })();
    return r.joining;
  }

  /**
   * `since` brings what was sent while we were away, but not the edits and deletions of
   * messages we already had: re-read the window we hold and apply the differences.
   */
  async function reconcile(r) {
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
          applyMessage(r, m, { live: false });
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
      if (id <= upTo && !seen.has(id)) onMessageDeleted({ id, room: r.name });
    }
  }

  // ---------------------------------------------------------------- incoming events
  function applyMessage(r, message, { live }) {
    const wasPending = message.client_id && r.timeline.pending.has(message.client_id);
    const result = r.timeline.upsert(message);
    if (state.active !== r.name) return result;
    if (wasPending) removePendingElement(message.client_id);
    if (result.kind === 'added') {
      const stick = isNearBottom() || wasPending;
      insertMessageElement(message, result.before);
      if (stick) scrollToBottom();
      else if (live) showJumpButton(true);
    } else if (result.kind === 'updated') {
      replaceMessageElement(message);
    }
    return result;
  }

  function onMessage(message) {
    const r = state.rooms.get(message.room);
    if (!r || !r.wanted) return;
    const result = applyMessage(r, message, { live: true });
    if (result.kind !== 'added') return;
    const mine = message.user.toLowerCase() === me.username.toLowerCase();
    stopTyping(r, message.user);
    if (!mine) {
      if (state.active === r.name) {
        const who = message.attachment
          ? `${message.user} sent ${message.attachment.filename}`
          : message.user;
        announce(`${who}: ${message.body}`);
      }
    }
    updateUnread(r);
    renderRoomList();
  }

  function onMessageUpdated(message) {
    const r = state.rooms.get(message.room);
    if (!r) return;
    applyMessage(r, message, { live: false });
  }

  function onMessageDeleted({ id, room }) {
    const r = state.rooms.get(room);
    if (!r) return;
    if (r.timeline.remove(id) && state.active === room) {
      const li = ui.messages.querySelector(`li[data-id="${id}"]`);
      if (li) li.remove();
      regroup();
    }
    updateUnread(r);
    renderRoomList();
  }

  function onPresence({ room, user, status }) {
    const r = state.rooms.get(room);
    if (!r) return;
    if (status === 'online') r.online.add(user);
    else {
      r.online.delete(user);
      stopTyping(r, user);
    }
    if (state.active === room) renderOnline();
  }

  function onTyping({ room, user }) {
    const r = state.rooms.get(room);
    if (!r || user.toLowerCase() === me.username.toLowerCase()) return;
    clearTimeout(r.typing.get(user));
    r.typing.set(
      user,
      setTimeout(() => stopTyping(r, user), TYPING_SHOW_MS),
    );
    if (state.active === room) renderTyping();
  }

  function stopTyping(r, user) {
    if (!r.typing.has(user)) return;
    clearTimeout(r.typing.get(user));
    r.typing.delete(user);
    if (state.active === r.name) renderTyping();
  }

  // ---------------------------------------------------------------- unread
  function updateUnread(r) {
    const visible = state.active === r.name && document.visibilityState === 'visible';
    if (visible && r.timeline.newestId !== null) markRead(r);
    r.unread = countUnread(r.timeline.messages(), r.lastRead, me.username);
    r.unreadCapped = r.timeline.hasMoreBefore && r.unread === r.timeline.size && r.unread > 0;
    updateTitle();
  }

  function markRead(r) {
    const newest = r.timeline.newestId;
    if (newest !== null && newest > (r.lastRead || 0)) {
      r.lastRead = newest;
      store.setLastRead(r.name, newest);
    }
    r.unread = 0;
  }

  function updateTitle() {
    let total = 0;
    for (const r of state.rooms.values()) if (r.wanted) total += r.unread;
    const where = state.active ? `#${state.active} · ` : '';
    document.title = `${total ? `(${total}) ` : ''}${where}Chat`;
  }

  document.addEventListener('visibilitychange', onVisibility);
  function onVisibility() {
    if (document.visibilityState !== 'visible' || !state.active) return;
    const r = state.rooms.get(state.active);
    if (r) {
      updateUnread(r);
      renderRoomList();
    }
  }

  // ---------------------------------------------------------------- sending
  function sendFromComposer() {
    const r = state.active && state.rooms.get(state.active);
    if (!r) return;
    const text = ui.input.value;
    const upload = state.upload;
    if (upload && upload.status !== 'ready') {
      setComposerError(
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
      setComposerError(`Messages can be at most ${MAX_BODY} characters.`);
      return;
    }
    setComposerError('');
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
    autoGrow();
    state.upload = null;
    renderUpload();
    renderPendingElement(entry);
    scrollToBottom();
    state.lastTypingSent = 0;
    deliver(r, entry);
  }

  /**
   * Sends one after another, each after the previous ack: sent together, the server could
   * commit them in another order than the user typed them.
   */
  function deliver(r, entry) {
    entry.state = 'pending';
    entry.error = null;
    entry.queued = true;
    updatePendingElement(entry);
    r.sendChain = (r.sendChain || Promise.resolve())
      .then(() => deliverNow(r, entry))
      .catch(() => {});
    return r.sendChain;
  }

  async function deliverNow(r, entry) {
    entry.queued = false;
    if (!r.timeline.pending.has(entry.client_id)) return; // confirmed or discarded meanwhile
    if (!state.socket || !state.socket.connected || !r.joined) return; // flushed after re-join
    entry.inFlight = true;
    const payload = { room: r.name, body: entry.body, client_id: entry.client_id };
    if (entry.attachment) payload.attachment = entry.attachment.key;
    const ack = await emitAck('send', payload);
    entry.inFlight = false;
    if (ack.ok) {
      applyMessage(r, ack.message, { live: false });
      updateUnread(r);
      renderRoomList();
      return;
    }
    if (!r.timeline.pending.has(entry.client_id)) return; // confirmed meanwhile by the broadcast
    if (ack.error.code === 'timeout' && !(state.socket && state.socket.connected)) return;
    entry.state = 'failed';
    entry.error = errorText(ack.error);
    updatePendingElement(entry);
  }

  function flushPending(r) {
    for (const entry of r.timeline.pending.values()) {
      // The same client_id again is safe: the server answers with the first message.
      if (entry.state === 'pending' && !entry.inFlight && !entry.queued) deliver(r, entry);
    }
  }

  function discardPending(r, entry) {
    r.timeline.pending.delete(entry.client_id);
    removePendingElement(entry.client_id);
  }

  async function editMessage(r, id, body) {
    const ack = await emitAck('edit', { id, body });
    if (ack.ok) {
      applyMessage(r, ack.message, { live: false });
      return null;
    }
    return errorText(ack.error);
  }

  async function deleteMessage(r, id) {
    const ack = await emitAck('delete', { id });
    if (ack.ok) {
      onMessageDeleted({ id, room: r.name });
      return null;
    }
    return errorText(ack.error);
  }

  function onComposerInput() {
    autoGrow();
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

  function autoGrow() {
    ui.input.style.height = 'auto';
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 200)}px`;
  }

  // ---------------------------------------------------------------- attachments
  async function attachFile(file) {
    const r = state.active && state.rooms.get(state.active);
    if (!r || !file) return;
    cancelUpload();
    const upload = { room: r.name, file, status: 'requesting', progress: 0, abort: null };
    state.upload = upload;
    setComposerError('');
    renderUpload();
    try {
      const presigned = await requestUpload(r.name, file);
      if (state.upload !== upload) return;
      upload.key = presigned.key;
      upload.status = 'uploading';
      const transfer = postToStorage(presigned, file, (fraction) => {
        upload.progress = fraction;
        renderUploadProgress();
      });
      upload.abort = transfer.abort;
      renderUpload();
      await transfer.promise;
      if (state.upload !== upload) return;
      upload.status = 'ready';
      renderUpload();
      announce(`${file.name} is uploaded. Press Enter to send it.`);
      ui.input.focus();
    } catch (err) {
      if (state.upload !== upload || err.code === 'aborted') return;
      upload.status = 'failed';
      upload.error = err.message;
      renderUpload();
    }
  }

  function cancelUpload() {
    const upload = state.upload;
    state.upload = null;
    if (upload && upload.abort && upload.status === 'uploading') upload.abort();
    renderUpload();
  }

  // ---------------------------------------------------------------- history
  async function loadOlder() {
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
      for (const m of page.messages) applyMessage(r, m, { live: false });
      // Keep the message the user was reading where it was.
      scroller.scrollTop = scroller.scrollHeight - fromBottom;
      updateUnread(r);
    } catch (err) {
      toast(`Earlier messages could not be loaded: ${err.message}`, 'error');
    } finally {
      state.loadingOlder = false;
      renderHistoryStatus();
    }
  }

  /** Loads older pages until the view can scroll, so scrolling up can ask for more. */
  async function fillViewport() {
    for (let i = 0; i < 5; i += 1) {
      const r = state.active && state.rooms.get(state.active);
      if (!r || !r.timeline.hasMoreBefore) return;
      if (ui.timeline.scrollHeight > ui.timeline.clientHeight + 40) return;
      await loadOlder();
    }
  }

  // ---------------------------------------------------------------- rendering
  function renderRoomList() {
    const mine = [];
    const others = [];
    for (const r of state.rooms.values()) (r.wanted ? mine : others).push(r);
    const byName = (a, b) => a.name.localeCompare(b.name);
    mine.sort(byName);
    others.sort(byName);
    ui.roomList.replaceChildren(...mine.map(roomItem));
    ui.otherList.replaceChildren(...others.map(roomItem));
    ui.otherSection.hidden = others.length === 0;
    ui.emptyRooms.hidden = mine.length > 0;
    updateTitle();
  }

  function roomItem(r) {
    const active = state.active === r.name;
    const count = r.unread ? `${r.unread}${r.unreadCapped ? '+' : ''}` : '';
    let label = `${r.room.private ? 'private room' : 'room'} ${r.name}`;
    if (count) label += `, ${count} unread`;
    return h(
      'li',
      {},
      h(
        'a',
        {
          href: `#/r/${encodeURIComponent(r.name)}`,
          class: `room-link${active ? ' active' : ''}${count ? ' has-unread' : ''}`,
          'aria-current': active ? 'page' : null,
          'aria-label': label,
          dataset: { room: r.name },
        },
        h('span', { class: 'room-icon' }, icon(r.room.private ? 'lock' : 'hash')),
        h('span', { class: 'room-name' }, r.name),
        count ? h('span', { class: 'badge', 'aria-hidden': 'true' }, count) : null,
      ),
    );
  }

  function renderActiveRoom() {
    const r = state.active && state.rooms.get(state.active);
    ui.roomView.hidden = !r;
    ui.emptyView.hidden = Boolean(r);
    if (!r) {
      updateTitle();
      return;
    }
    ui.roomView.dataset.state = r.joined ? 'joined' : 'joining';
    renderHeader();
    renderOnline();
    renderTyping();
    renderUpload();
    renderMessages({ toBottom: r.scrollTop === null });
    if (r.scrollTop !== null) ui.timeline.scrollTop = r.scrollTop;
    ui.input.setAttribute('aria-label', `Message #${r.name}`);
    ui.input.placeholder = `Message #${r.name}`;
    ui.timeline.setAttribute('aria-label', `Messages in #${r.name}`);
    updateUnread(r);
  }

  function saveScroll() {
    const r = state.rooms.get(state.active);
    if (r) r.scrollTop = isNearBottom() ? null : ui.timeline.scrollTop;
  }

  function renderHeader() {
    const r = state.rooms.get(state.active);
    if (!r) return;
    ui.roomTitle.replaceChildren(
      h('span', { class: 'room-icon' }, icon(r.room.private ? 'lock' : 'hash')),
      r.name,
    );
    const owner = r.room.owner ? ` · created by ${r.room.owner}` : '';
    ui.roomMeta.textContent = `${r.room.private ? 'Private room' : 'Public room'}${owner}`;
    const isOwner = r.room.owner && r.room.owner.toLowerCase() === me.username.toLowerCase();
    ui.addMemberButton.hidden = !(r.room.private && isOwner);
    ui.leaveButton.hidden = Boolean(r.room.private);
  }

  function renderOnline() {
    const r = state.rooms.get(state.active);
    if (!r) return;
    const names = [...r.online].sort((a, b) => a.localeCompare(b));
    ui.onlineCount.textContent = `${names.length} online`;
    ui.onlineHeading.textContent = `Online — ${names.length}`;
    ui.onlineList.replaceChildren(
      ...names.map((name) =>
        h(
          'li',
          { class: 'online-user' },
          avatar(name, 'small'),
          h('span', {}, name),
          name.toLowerCase() === me.username.toLowerCase()
            ? h('span', { class: 'muted' }, ' (you)')
            : null,
        ),
      ),
    );
  }

  function renderTyping() {
    const r = state.active && state.rooms.get(state.active);
    ui.typing.textContent = r ? typingText([...r.typing.keys()].sort()) : '';
  }

  function renderHistoryStatus() {
    const r = state.rooms.get(state.active);
    if (!r) return;
    if (r.timeline.hasMoreBefore) {
      ui.history.hidden = false;
      ui.history.replaceChildren(
        h('button', { type: 'button', class: 'link-button', onclick: loadOlder }, 'Load earlier messages'),
      );
    } else if (r.timeline.size > 0 || r.joined) {
      ui.history.hidden = false;
      ui.history.replaceChildren(
        h('div', { class: 'room-start' }, h('strong', {}, `This is the start of #${r.name}.`)),
      );
    } else {
      ui.history.hidden = true;
    }
  }

  function renderMessages({ toBottom }) {
    const r = state.rooms.get(state.active);
    if (!r) return;
    clear(ui.messages);
    clear(ui.pending);
    ui.messages.append(...r.timeline.messages().map((m) => messageElement(r, m)));
    for (const entry of r.timeline.pending.values()) renderPendingElement(entry);
    regroup();
    renderHistoryStatus();
    showJumpButton(false);
    if (toBottom) scrollToBottom();
  }

  function insertMessageElement(message, beforeId) {
    const r = state.rooms.get(state.active);
    const li = messageElement(r, message);
    const next = beforeId === null ? null : ui.messages.querySelector(`li[data-id="${beforeId}"]`);
    ui.messages.insertBefore(li, next);
    regroup();
    renderHistoryStatus();
  }

  function replaceMessageElement(message) {
    const r = state.rooms.get(state.active);
    const old = ui.messages.querySelector(`li[data-id="${message.id}"]`);
    if (!old || old.classList.contains('editing')) return;
    old.replaceWith(messageElement(r, message));
    regroup();
  }

  /** Collapses consecutive messages of one author and marks day changes. */
  function regroup() {
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

  function avatar(name, size = '') {
    const el = h('span', { class: `avatar ${size}`, 'aria-hidden': 'true' }, initialOf(name));
    el.style.backgroundColor = colourFor(name);
    return el;
  }

  function messageElement(r, m) {
    const mine = m.user.toLowerCase() === me.username.toLowerCase();
    const isOwner = r.room.owner && r.room.owner.toLowerCase() === me.username.toLowerCase();
    const created = new Date(m.created_at);
    const li = h('li', {
      class: `message${mine ? ' mine' : ''}`,
      dataset: {
        id: String(m.id),
        user: m.user,
        time: String(created.getTime() || 0),
        day: dayOf(m.created_at),
      },
    });
    const body = h('div', { class: 'body' }, m.body);
    const actions = h('div', { class: 'actions' });
    if (mine) {
      actions.append(
        h(
          'button',
          {
            type: 'button',
            class: 'icon-button',
            'aria-label': 'Edit message',
            title: 'Edit',
            onclick: () => startEdit(r, li, m),
          },
          icon('edit'),
        ),
      );
    }
    if (mine || isOwner) {
      actions.append(
        h(
          'button',
          {
            type: 'button',
            class: 'icon-button',
            'aria-label': 'Delete message',
            title: 'Delete',
            onclick: () => confirmDelete(r, li, m),
          },
          icon('trash'),
        ),
      );
    }
    li.append(
      h('div', { class: 'day-divider', 'aria-hidden': 'true' }, h('span', {}, li.dataset.day)),
      h(
        'div',
        { class: 'message-row' },
        avatar(m.user),
        h(
          'div',
          { class: 'content' },
          h(
            'div',
            { class: 'meta' },
            h('span', { class: 'author' }, m.user),
            h(
              'time',
              { datetime: m.created_at, title: fullTimeOf(m.created_at) },
              timeOf(m.created_at),
            ),
          ),
          body,
          m.edited_at
            ? h('span', { class: 'edited', title: `Edited ${fullTimeOf(m.edited_at)}` }, '(edited)')
            : null,
          m.attachment ? attachmentElement(m.attachment) : null,
          h('div', { class: 'inline-status', role: 'status' }),
        ),
        actions.childElementCount ? actions : null,
      ),
    );
    return li;
  }

  function attachmentElement(attachment) {
    const size = formatBytes(attachment.size);
    if (isPreviewable(attachment.content_type)) {
      const img = h('img', { alt: attachment.filename, class: 'preview', decoding: 'async' });
      const link = h(
        'a',
        {
          class: 'image-link',
          href: uploadPath(attachment.key),
          target: '_blank',
          rel: 'noopener',
          'aria-label': `Open image ${attachment.filename}`,
        },
        img,
      );
      const figure = h(
        'figure',
        { class: 'attachment image loading' },
        link,
        h('figcaption', {}, `${attachment.filename} · ${size}`),
      );
      attachmentUrl(attachment.key, attachment.content_type)
        .then((url) => {
          img.src = url;
          link.href = url;
          figure.classList.remove('loading');
        })
        .catch((err) => {
          figure.classList.remove('loading');
          figure.classList.add('broken');
          link.replaceWith(h('p', { class: 'attachment-error' }, `Image unavailable: ${err.message}`));
        });
      return figure;
    }
    const link = h(
      'a',
      {
        class: 'attachment file',
        href: uploadPath(attachment.key),
        download: attachment.filename,
        'aria-label': `Download ${attachment.filename}, ${size}`,
      },
      h('span', { class: 'file-icon' }, icon('file')),
      h(
        'span',
        { class: 'file-text' },
        h('span', { class: 'file-name' }, attachment.filename),
        h('span', { class: 'file-size' }, `${size} · Download`),
      ),
    );
    link.addEventListener('click', async (event) => {
      // The endpoint needs the bearer token, which a plain link cannot carry.
      event.preventDefault();
      try {
        await downloadAttachment(attachment);
      } catch (err) {
        toast(`Download failed: ${err.message}`, 'error');
      }
    });
    return link;
  }

  function startEdit(r, li, m) {
    if (li.classList.contains('editing')) return;
    li.classList.add('editing');
    const body = li.querySelector('.body');
    const editor = h('textarea', {
      class: 'edit-input',
      'aria-label': 'Edit message',
      rows: 2,
    });
    editor.value = m.body;
    const status = h('p', { class: 'form-error', role: 'alert' });
    const finish = () => {
      li.classList.remove('editing');
      const current = r.timeline.get(m.id);
      if (current) li.replaceWith(messageElement(r, current));
      regroup();
      ui.input.focus();
    };
    const save = async () => {
      const text = editor.value;
      if (!text.trim()) {
        status.textContent = 'A message cannot be empty. Delete it instead.';
        return;
      }
      if (text === m.body) {
        finish();
        return;
      }
      saveButton.disabled = true;
      const error = await editMessage(r, m.id, text);
      saveButton.disabled = false;
      if (error) status.textContent = error;
      else finish();
    };
    const saveButton = h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: save }, 'Save');
    editor.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        save();
      } else if (event.key === 'Escape') {
        event.preventDefault();
        finish();
      }
    });
    const form = h(
      'div',
      { class: 'edit-form' },
      editor,
      status,
      h(
        'div',
        { class: 'edit-buttons' },
        h('span', { class: 'muted' }, 'Enter to save · Esc to cancel'),
        h('button', { type: 'button', class: 'btn btn-small', onclick: finish }, 'Cancel'),
        saveButton,
      ),
    );
    body.replaceWith(form);
    editor.focus();
    editor.setSelectionRange(editor.value.length, editor.value.length);
  }

  function confirmDelete(r, li, m) {
    const status = li.querySelector('.inline-status');
    clear(status);
    const cancel = h('button', { type: 'button', class: 'btn btn-small' }, 'Cancel');
    const confirm = h('button', { type: 'button', class: 'btn btn-danger btn-small' }, 'Delete');
    cancel.addEventListener('click', () => {
      clear(status);
      li.querySelector('.actions button[aria-label="Delete message"]')?.focus();
    });
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      const error = await deleteMessage(r, m.id);
      if (error) {
        status.replaceChildren(h('span', { class: 'form-error' }, error));
      } else {
        announce('Message deleted.');
        ui.input.focus();
      }
    });
    status.append(h('span', {}, 'Delete this message? '), confirm, ' ', cancel);
    confirm.focus();
  }

  function renderPendingElement(entry) {
    const li = h('li', {
      class: 'message mine pending',
      dataset: { clientId: entry.client_id },
    });
    li.append(
      h(
        'div',
        { class: 'message-row' },
        avatar(entry.user),
        h(
          'div',
          { class: 'content' },
          h('div', { class: 'meta' }, h('span', { class: 'author' }, entry.user)),
          h('div', { class: 'body' }, entry.body),
          entry.attachment
            ? h(
                'div',
                { class: 'attachment file' },
                h('span', { class: 'file-icon' }, icon('attach')),
                h('span', { class: 'file-name' }, entry.attachment.filename),
              )
            : null,
          h('div', { class: 'send-state', role: 'status' }),
        ),
      ),
    );
    ui.pending.append(li);
    updatePendingElement(entry);
  }

  function updatePendingElement(entry) {
    const li = ui.pending.querySelector(`li[data-client-id="${CSS.escape(entry.client_id)}"]`);
    if (!li) return;
    const status = li.querySelector('.send-state');
    li.classList.toggle('failed', entry.state === 'failed');
    if (entry.state === 'failed') {
      const r = state.rooms.get(entry.room);
      status.replaceChildren(
        h('span', { class: 'form-error' }, `Not sent: ${entry.error} `),
        h('button', { type: 'button', class: 'link-button', onclick: () => deliver(r, entry) }, 'Retry'),
        ' · ',
        h(
          'button',
          { type: 'button', class: 'link-button', onclick: () => discardPending(r, entry) },
          'Discard',
        ),
      );
    } else {
      const connected = state.socket && state.socket.connected;
      status.textContent = connected ? 'Sending…' : 'Waiting for connection…';
    }
  }

  function removePendingElement(clientId) {
    const li = ui.pending.querySelector(`li[data-client-id="${CSS.escape(clientId)}"]`);
    if (li) li.remove();
  }

  function renderUpload() {
    const upload = state.upload;
    ui.uploadArea.hidden = !upload;
    if (!upload) {
      clear(ui.uploadArea);
      ui.sendButton.disabled = false;
      return;
    }
    const size = formatBytes(upload.file.size);
    const label = `Upload progress for ${upload.file.name}`;
    let status;
    if (upload.status === 'failed') status = h('span', { class: 'form-error' }, upload.error);
    else if (upload.status === 'ready') status = h('span', { class: 'ok' }, 'Ready to send');
    else status = h('span', { class: 'upload-percent' }, `${Math.round(upload.progress * 100)}%`);
    ui.uploadArea.replaceChildren(
      h(
        'div',
        { class: `upload-chip ${upload.status}` },
        h('span', { class: 'file-icon' }, icon('attach')),
        h(
          'div',
          { class: 'upload-text' },
          h('span', { class: 'file-name' }, `${upload.file.name} · ${size}`),
          h('progress', {
            class: 'upload-progress',
            max: '100',
            value: String(Math.round(upload.progress * 100)),
            'aria-label': label,
          }),
          status,
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-button',
            'aria-label': `Remove attachment ${upload.file.name}`,
            onclick: () => {
              cancelUpload();
              ui.input.focus();
            },
          },
          icon('close'),
        ),
      ),
    );
    ui.sendButton.disabled = upload.status !== 'ready';
  }

  function renderUploadProgress() {
    const upload = state.upload;
    const bar = ui.uploadArea.querySelector('progress');
    const text = ui.uploadArea.querySelector('.upload-percent');
    if (!upload || !bar) return;
    bar.value = Math.round(upload.progress * 100);
    if (text) text.textContent = `${Math.round(upload.progress * 100)}%`;
  }

  function setComposerError(text) {
    ui.composerError.textContent = text;
  }

  // ---------------------------------------------------------------- scrolling
  function isNearBottom() {
    const t = ui.timeline;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
  }

  function scrollToBottom() {
    ui.timeline.scrollTop = ui.timeline.scrollHeight;
    showJumpButton(false);
  }

  function showJumpButton(show) {
    ui.jumpButton.hidden = !show;
  }

  ui.timeline.addEventListener('scroll', () => {
    if (ui.timeline.scrollTop < 150) loadOlder();
    if (isNearBottom()) showJumpButton(false);
  });
  ui.jumpButton.addEventListener('click', () => {
    scrollToBottom();
    ui.input.focus();
  });

  // ---------------------------------------------------------------- status and toasts
  function setBanner(text) {
    ui.banner.hidden = !text;
    ui.banner.textContent = text || '';
    ui.shell.classList.toggle('offline', Boolean(text));
    for (const r of state.rooms.values()) {
      for (const entry of r.timeline.pending.values()) updatePendingElement(entry);
    }
  }

  function announce(text) {
    // Re-setting the same text is not announced again, so clear first.
    ui.announcer.textContent = '';
    setTimeout(() => {
      ui.announcer.textContent = text;
    }, 50);
  }

  function toast(text, kind = 'info') {
    const item = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
    ui.toasts.append(item);
    setTimeout(() => item.remove(), 6000);
  }

  // ---------------------------------------------------------------- wiring
  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    sendFromComposer();
  });
  ui.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendFromComposer();
    } else if (event.key === 'ArrowUp' && !ui.input.value) {
      // As in the chat apps people know: Up in an empty box edits one's last message.
      const mine = [...ui.messages.querySelectorAll('li.message.mine')];
      const last = mine[mine.length - 1];
      const edit = last && last.querySelector('button[aria-label="Edit message"]');
      if (edit) {
        event.preventDefault();
        edit.click();
      }
    } else if (event.key === 'Escape' && state.upload) {
      cancelUpload();
    }
  });
  ui.input.addEventListener('input', onComposerInput);
  ui.input.addEventListener('paste', (event) => {
    const file = [...(event.clipboardData?.files || [])][0];
    if (file) {
      event.preventDefault();
      attachFile(file);
    }
  });
  ui.fileInput.addEventListener('change', () => {
    const file = ui.fileInput.files[0];
    ui.fileInput.value = '';
    if (file) attachFile(file);
  });
  ui.attachButton.addEventListener('click', () => ui.fileInput.click());

  let dragDepth = 0;
  ui.roomView.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    dragDepth += 1;
    ui.roomView.classList.add('dropping');
  });
  ui.roomView.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) ui.roomView.classList.remove('dropping');
  });
  ui.roomView.addEventListener('dragover', (event) => {
    if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
  });
  ui.roomView.addEventListener('drop', (event) => {
    event.preventDefault();
    dragDepth = 0;
    ui.roomView.classList.remove('dropping');
    const file = event.dataTransfer?.files[0];
    if (file) attachFile(file);
  });

  ui.newRoomForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = ui.newRoomName.value.trim().toLowerCase();
    ui.newRoomError.textContent = '';
    if (!ROOM_NAME_RE.test(name)) {
      ui.newRoomError.textContent = 'Use 1-64 lowercase letters, digits or dashes.';
      ui.newRoomName.focus();
      return;
    }
    try {
      const { room } = await api('POST', '/api/rooms', { name, private: ui.newRoomPrivate.checked });
      roomState(room.name).room = room;
      ui.newRoomName.value = '';
      ui.newRoomPrivate.checked = false;
      ui.newRoomDetails.open = false;
      openRoom(room.name);
      toast(`Created #${room.name}.`);
    } catch (err) {
      ui.newRoomError.textContent =
        err.status === 409 ? `A room named ${name} already exists.` : err.message;
    }
  });
  ui.newRoomName.addEventListener('input', () => {
    // Room names are lowercase with dashes; typing "Team Chat" should just work.
    const pos = ui.newRoomName.selectionStart;
    ui.newRoomName.value = ui.newRoomName.value.toLowerCase().replace(/\s/g, '-');
    ui.newRoomName.setSelectionRange(pos, pos);
  });

  ui.addMemberButton.addEventListener('click', () => {
    ui.memberDialog.hidden = !ui.memberDialog.hidden;
    ui.memberError.textContent = '';
    if (!ui.memberDialog.hidden) ui.memberName.focus();
  });
  ui.memberForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = ui.memberName.value.trim();
    ui.memberError.textContent = '';
    if (!username || !state.active) return;
    try {
      await api('POST', roomPath(state.active, '/members'), { username });
      ui.memberName.value = '';
      ui.memberDialog.hidden = true;
      toast(`${username} can now see #${state.active}.`);
      ui.addMemberButton.focus();
    } catch (err) {
      ui.memberError.textContent =
        err.status === 404 ? `There is no user named ${username}.` : err.message;
    }
  });
  ui.memberCancel.addEventListener('click', () => {
    ui.memberDialog.hidden = true;
    ui.addMemberButton.focus();
  });
  ui.leaveButton.addEventListener('click', () => state.active && leaveRoom(state.active));
  ui.menuButton.addEventListener('click', () => ui.shell.classList.toggle('show-sidebar'));
  ui.onlineToggle.addEventListener('click', () => {
    const open = ui.shell.classList.toggle('show-online');
    ui.onlineToggle.setAttribute('aria-expanded', String(open));
  });
  ui.logoutButton.addEventListener('click', async () => {
    try {
      await api('POST', '/api/logout');
    } catch {
      // Signing out locally matters more than the server hearing about it.
    }
    endSession('');
  });

  function onHashChange() {
    const match = location.hash.match(/^#\/r\/(.+)$/);
    if (match) {
      const name = decodeURIComponent(match[1]);
      if (name !== state.active) openRoom(name);
    }
  }
  window.addEventListener('hashchange', onHashChange);

  const refreshTimer = setInterval(refreshRooms, 30000);
  window.addEventListener('focus', refreshRooms);

  function endSession(notice) {
    if (state.ended) return;
    state.ended = true;
    clearInterval(refreshTimer);
    window.removeEventListener('hashchange', onHashChange);
    window.removeEventListener('focus', refreshRooms);
    document.removeEventListener('visibilitychange', onVisibility);
    if (state.socket) {
      state.socket.removeAllListeners();
      state.socket.disconnect();
    }
    forgetAttachments();
    session.clear();
    document.title = 'Chat';
    onSignedOut(notice);
  }

  // ---------------------------------------------------------------- start
  (async () => {
    await refreshRooms();
    const match = location.hash.match(/^#\/r\/(.+)$/);
    const wanted = [...state.rooms.values()].filter((r) => r.wanted);
    if (match) openRoom(decodeURIComponent(match[1]));
    else if (wanted.length) openRoom(wanted.sort((a, b) => a.name.localeCompare(b.name))[0].name);
    else renderActiveRoom();
    setBanner(null);
    connect();
  })();

  return { endSession };
}

function buildLayout(me) {
  const ui = {};
  ui.banner = h('div', { class: 'banner', role: 'status', hidden: true });
  ui.announcer = h('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });
  ui.toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });

  ui.logoutButton = h('button', { type: 'button', class: 'btn btn-ghost btn-small' }, 'Sign out');
  ui.roomList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-heading' });
  ui.otherList = h('ul', { class: 'room-list', 'aria-labelledby': 'others-heading' });
  ui.emptyRooms = h('p', { class: 'muted small' }, 'You are not in any room yet.');
  ui.otherSection = h(
    'section',
    {},
    h('h2', { id: 'others-heading', class: 'section-title' }, 'Public rooms to join'),
    ui.otherList,
  );
  ui.newRoomName = h('input', {
    id: 'new-room-name',
    name: 'name',
    autocomplete: 'off',
    maxlength: 64,
    placeholder: 'e.g. design-team',
    required: true,
  });
  ui.newRoomPrivate = h('input', { id: 'new-room-private', type: 'checkbox', name: 'private' });
  ui.newRoomError = h('p', { class: 'form-error', role: 'alert' });
  ui.newRoomForm = h(
    'form',
    { class: 'new-room', 'aria-label': 'Create a room' },
    h('label', { for: 'new-room-name' }, 'Room name'),
    ui.newRoomName,
    h(
      'label',
      { class: 'checkbox', for: 'new-room-private' },
      ui.newRoomPrivate,
      ' Private (only people you add)',
    ),
    ui.newRoomError,
    h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Create room'),
  );
  ui.newRoomDetails = h(
    'details',
    { class: 'new-room-details' },
    h('summary', {}, icon('plus'), ' New room'),
    ui.newRoomForm,
  );

  const sidebar = h(
    'nav',
    { class: 'sidebar', 'aria-label': 'Rooms' },
    h(
      'div',
      { class: 'sidebar-head' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Chat'),
    ),
    h(
      'div',
      { class: 'sidebar-scroll' },
      h('h2', { id: 'rooms-heading', class: 'section-title' }, 'Your rooms'),
      ui.roomList,
      ui.emptyRooms,
      ui.otherSection,
      ui.newRoomDetails,
    ),
    h(
      'div',
      { class: 'me' },
      (ui.meStatus = h('span', { class: 'status-dot', 'aria-hidden': 'true' })),
      h('span', { class: 'me-name', 'aria-label': `Signed in as ${me.username}` }, me.username),
      ui.logoutButton,
    ),
  );

  ui.menuButton = h(
    'button',
    { type: 'button', class: 'icon-button menu-button', 'aria-label': 'Show rooms' },
    icon('menu'),
  );
  ui.roomTitle = h('h1', { class: 'room-title' });
  ui.roomMeta = h('p', { class: 'room-meta' });
  ui.onlineCount = h('span', {});
  ui.onlineToggle = h(
    'button',
    { type: 'button', class: 'btn btn-ghost btn-small online-toggle', 'aria-expanded': 'false' },
    h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
    ui.onlineCount,
  );
  ui.addMemberButton = h('button', { type: 'button', class: 'btn btn-small', hidden: true }, 'Add people');
  ui.leaveButton = h('button', { type: 'button', class: 'btn btn-ghost btn-small' }, 'Leave');
  ui.memberName = h('input', { id: 'member-name', autocomplete: 'off', required: true });
  ui.memberError = h('p', { class: 'form-error', role: 'alert' });
  ui.memberCancel = h('button', { type: 'button', class: 'btn btn-small' }, 'Cancel');
  ui.memberForm = h(
    'form',
    { class: 'member-form' },
    h('label', { for: 'member-name' }, 'Add someone to this private room'),
    h(
      'div',
      { class: 'inline-fields' },
      ui.memberName,
      h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Add'),
      ui.memberCancel,
    ),
    ui.memberError,
  );
  ui.memberDialog = h(
    'div',
    { class: 'member-dialog', hidden: true, role: 'dialog', 'aria-label': 'Add people' },
    ui.memberForm,
  );

  ui.history = h('div', { class: 'history-status', hidden: true });
  ui.messages = h('ol', { class: 'messages', 'aria-label': 'Messages' });
  ui.pending = h('ol', { class: 'messages pending-list', 'aria-label': 'Messages being sent' });
  ui.timeline = h(
    'section',
    { class: 'timeline', tabindex: '0', 'aria-label': 'Messages' },
    h('div', { class: 'timeline-inner' }, ui.history, ui.messages, ui.pending),
  );
  ui.jumpButton = h('button', { type: 'button', class: 'jump', hidden: true }, 'New messages ↓');
  ui.onlineHeading = h('h2', { class: 'section-title', id: 'online-heading' }, 'Online');
  ui.onlineList = h('ul', { class: 'online-list', 'aria-labelledby': 'online-heading' });
  const onlinePanel = h('aside', { class: 'online-panel', 'aria-labelledby': 'online-heading' }, ui.onlineHeading, ui.onlineList);

  ui.typing = h('div', { class: 'typing', 'aria-live': 'polite' });
  ui.fileInput = h('input', {
    type: 'file',
    class: 'sr-only',
    id: 'file-input',
    tabindex: '-1',
    'aria-hidden': 'true',
  });
  ui.attachButton = h(
    'button',
    { type: 'button', class: 'icon-button attach', 'aria-label': 'Attach a file', title: 'Attach a file' },
    icon('attach'),
  );
  ui.input = h('textarea', {
    id: 'composer-input',
    class: 'composer-input',
    rows: 1,
    'aria-label': 'Message',
    'aria-describedby': 'composer-help',
  });
  ui.sendButton = h('button', { type: 'submit', class: 'btn btn-primary send', 'aria-label': 'Send message' }, 'Send');
  ui.counter = h('span', { class: 'counter', hidden: true, 'aria-live': 'polite' });
  ui.uploadArea = h('div', { class: 'upload-area', hidden: true });
  ui.composerError = h('p', { class: 'form-error composer-error', role: 'alert' });
  ui.composer = h(
    'form',
    { class: 'composer', 'aria-label': 'Send a message' },
    ui.uploadArea,
    h('div', { class: 'composer-box' }, ui.attachButton, ui.fileInput, ui.input, ui.sendButton),
    h(
      'div',
      { class: 'composer-foot' },
      ui.composerError,
      h(
        'span',
        { class: 'muted small', id: 'composer-help' },
        'Enter to send · Shift+Enter for a new line · ↑ to edit your last message',
      ),
      ui.counter,
    ),
  );

  ui.roomView = h(
    'main',
    { class: 'room-view', hidden: true },
    h(
      'header',
      { class: 'room-header' },
      ui.menuButton,
      h('div', { class: 'room-heading' }, ui.roomTitle, ui.roomMeta),
      h('div', { class: 'room-actions' }, ui.onlineToggle, ui.addMemberButton, ui.leaveButton),
      ui.memberDialog,
    ),
    h(
      'div',
      { class: 'room-body' },
      h('div', { class: 'timeline-wrap' }, ui.timeline, ui.jumpButton, ui.typing, ui.composer),
      onlinePanel,
    ),
    h('div', { class: 'drop-hint', 'aria-hidden': 'true' }, 'Drop the file to attach it'),
  );
  ui.emptyView = h(
    'main',
    { class: 'empty-view' },
    h(
      'button',
      {
        type: 'button',
        class: 'icon-button menu-button',
        'aria-label': 'Show rooms',
        onclick: () => ui.shell.classList.toggle('show-sidebar'),
      },
      icon('menu'),
    ),
    h('div', { class: 'empty-card' }, h('h1', {}, `Welcome, ${me.username}`), h('p', {}, 'Pick a room on the left, or create one to start talking.')),
  );

  ui.shell = h('div', { class: 'shell' }, ui.banner, sidebar, ui.roomView, ui.emptyView, ui.announcer, ui.toasts);
  return ui;
}

/** Per-user memory in localStorage: which public rooms one is in, and how far one has read. */
function localStore(username) {
  const prefix = `chat.${username.toLowerCase()}.`;
  const read = (key, fallback) => {
    try {
      const raw = localStorage.getItem(prefix + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  };
  const write = (key, value) => {
    try {
      localStorage.setItem(prefix + key, JSON.stringify(value));
    } catch {
      // Storage full or disabled: the client still works, it just forgets on reload.
    }
  };
  return {
    isJoined: (room) => read('joined', []).includes(room),
    setJoined(room, joined) {
      const rooms = new Set(read('joined', []));
      if (joined) rooms.add(room);
      else rooms.delete(room);
      write('joined', [...rooms]);
    },
    lastRead: (room) => read(`read.${room}`, 0),
    setLastRead: (room, id) => write(`read.${room}`, id),
  };
}
