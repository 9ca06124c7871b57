// The rooms sidebar and the room being shown: room state, the room list, unread counts and
// the header of the open room.
import { api, ApiError } from './api.js';
import { h } from './dom.js';
import { icon } from './icons.js';
import { countUnread, Timeline, typingText } from './timeline.js';
import { cancelUpload, renderUpload } from './attachments.js';
import { avatar } from './messageView.js';
import { emitAck, joinRoom } from './session.js';
import { toast } from './status.js';
import { isNearBottom, renderMessages } from './timelineView.js';

export function roomState(ctx, name) {
  const { state, store } = ctx;
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

export async function refreshRooms(ctx) {
  const { state, store } = ctx;
  let payload;
  try {
    payload = await api('GET', '/api/rooms');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    toast(ctx, err.message, 'error');
    return;
  }
  const seen = new Set();
  for (const room of payload.rooms) {
    seen.add(room.name);
    const r = roomState(ctx, room.name);
    r.room = room;
    // A private room in this list is one we belong to, so we are in it.
    if ((room.private || store.isJoined(room.name)) && !r.wanted) {
      r.wanted = true;
      if (state.socket && state.socket.connected) joinRoom(ctx, r);
    }
  }
  for (const [name, r] of state.rooms) {
    if (!seen.has(name) && !r.wanted) state.rooms.delete(name);
  }
  renderRoomList(ctx);
  if (state.active) renderHeader(ctx);
}

export function openRoom(ctx, name) {
  const { state, ui, store } = ctx;
  const r = roomState(ctx, name);
  if (state.active && state.active !== name) saveScroll(ctx);
  state.active = name;
  if (location.hash !== `#/r/${encodeURIComponent(name)}`) {
    history.replaceState(null, '', `#/r/${encodeURIComponent(name)}`);
  }
  if (!r.wanted) {
    r.wanted = true;
    if (!r.room.private) store.setJoined(name, true);
  }
  ui.shell.classList.remove('show-sidebar');
  if (state.upload && state.upload.room !== name) cancelUpload(ctx);
  renderActiveRoom(ctx);
  renderRoomList(ctx);
  if (!r.joined && state.socket && state.socket.connected) joinRoom(ctx, r);
  ui.input.focus();
}

export async function leaveRoom(ctx, name) {
  const { state, store } = ctx;
  const r = state.rooms.get(name);
  if (!r) return;
  r.wanted = false;
  r.joined = false;
  store.setJoined(name, false);
  if (state.socket && state.socket.connected) await emitAck(ctx, 'leave', { room: name });
  r.timeline = new Timeline();
  r.online.clear();
  if (state.active === name) {
    state.active = null;
    history.replaceState(null, '', '#');
    renderActiveRoom(ctx);
  }
  renderRoomList(ctx);
  toast(ctx, `You left #${name}.`);
}

export function updateUnread(ctx, r) {
  const { state, me } = ctx;
  const visible = state.active === r.name && document.visibilityState === 'visible';
  if (visible && r.timeline.newestId !== null) markRead(ctx, r);
  r.unread = countUnread(r.timeline.messages(), r.lastRead, me.username);
  r.unreadCapped = r.timeline.hasMoreBefore && r.unread === r.timeline.size && r.unread > 0;
  updateTitle(ctx);
}

export function markRead(ctx, r) {
  const { store } = ctx;
  const newest = r.timeline.newestId;
  if (newest !== null && newest > (r.lastRead || 0)) {
    r.lastRead = newest;
    store.setLastRead(r.name, newest);
  }
  r.unread = 0;
}

export function updateTitle(ctx) {
  const { state } = ctx;
  let total = 0;
  for (const r of state.rooms.values()) if (r.wanted) total += r.unread;
  const where = state.active ? `#${state.active} · ` : '';
  document.title = `${total ? `(${total}) ` : ''}${where}Chat`;
}

export function onVisibility(ctx) {
  const { state } = ctx;
  if (document.visibilityState !== 'visible' || !state.active) return;
  const r = state.rooms.get(state.active);
  if (r) {
    updateUnread(ctx, r);
    renderRoomList(ctx);
  }
}

export function renderRoomList(ctx) {
  const { state, ui } = ctx;
  const mine = [];
  const others = [];
  for (const r of state.rooms.values()) (r.wanted ? mine : others).push(r);
  const byName = (a, b) => a.name.localeCompare(b.name);
  mine.sort(byName);
  others.sort(byName);
  ui.roomList.replaceChildren(...mine.map(ctx.bound.roomItem));
  ui.otherList.replaceChildren(...others.map(ctx.bound.roomItem));
  ui.otherSection.hidden = others.length === 0;
  ui.emptyRooms.hidden = mine.length > 0;
  updateTitle(ctx);
}

export function roomItem(ctx, r) {
  const { state } = ctx;
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

export function renderActiveRoom(ctx) {
  const { state, ui } = ctx;
  const r = state.active && state.rooms.get(state.active);
  ui.roomView.hidden = !r;
  ui.emptyView.hidden = Boolean(r);
  if (!r) {
    updateTitle(ctx);
    return;
  }
  ui.roomView.dataset.state = r.joined ? 'joined' : 'joining';
  renderHeader(ctx);
  renderOnline(ctx);
  renderTyping(ctx);
  renderUpload(ctx);
  renderMessages(ctx, { toBottom: r.scrollTop === null });
  if (r.scrollTop !== null) ui.timeline.scrollTop = r.scrollTop;
  ui.input.setAttribute('aria-label', `Message #${r.name}`);
  ui.input.placeholder = `Message #${r.name}`;
  ui.timeline.setAttribute('aria-label', `Messages in #${r.name}`);
  updateUnread(ctx, r);
}

export function saveScroll(ctx) {
  const { state, ui } = ctx;
  const r = state.rooms.get(state.active);
  if (r) r.scrollTop = isNearBottom(ctx) ? null : ui.timeline.scrollTop;
}

export function renderHeader(ctx) {
  const { state, ui, me } = ctx;
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

export function renderOnline(ctx) {
  const { state, ui, me } = ctx;
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
        avatar(ctx, name, 'small'),
        h('span', {}, name),
        name.toLowerCase() === me.username.toLowerCase()
          ? h('span', { class: 'muted' }, ' (you)')
          : null,
      ),
    ),
  );
}

export function renderTyping(ctx) {
  const { state, ui } = ctx;
  const r = state.active && state.rooms.get(state.active);
  ui.typing.textContent = r ? typingText([...r.typing.keys()].sort()) : '';
}

export function renderHistoryStatus(ctx) {
  const { state, ui } = ctx;
  const r = state.rooms.get(state.active);
  if (!r) return;
  if (r.timeline.hasMoreBefore) {
    ui.history.hidden = false;
    ui.history.replaceChildren(
      h('button', { type: 'button', class: 'link-button', onclick: ctx.bound.loadOlder }, 'Load earlier messages'),
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
