// The rooms sidebar and the room being shown: room state, the room list, unread counts and
// the header of the open room.
import { api, ApiError } from './api.js';
import { h } from './dom.js';
import { icon } from './icons.js';
import { Timeline, typingText } from './timeline.js';
import { cancelUpload, renderUpload } from './attachments.js';
import { avatar } from './messageView.js';
import { personDot, renderDirectMessages } from './dms.js';
import { syncMembers } from './members.js';
import { isMember, roomLabel, sameUser } from './membership.js';
import { totalUnread, unreadLabel } from './readState.js';
import { applyCounts, beginSnapshot, markRoomRead, newReadState, snapshotDone } from './readSync.js';
import { joinRoom } from './session.js';
import { toast } from './status.js';
import { isNearBottom, renderMessages } from './timelineView.js';

export function roomState(ctx, name) {
  const { state } = ctx;
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
      read: newReadState(ctx), // read position, unread and mention counts (readState.js)
      joining: null,
      scrollTop: null,
    };
    state.rooms.set(name, r);
  }
  return r;
}

export async function refreshRooms(ctx) {
  const { state } = ctx;
  const startedAt = beginSnapshot(ctx);
  let payload;
  try {
    payload = await api('GET', '/api/rooms');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    toast(ctx, err.message, 'error');
    return;
  }
  const seen = new Set();
  let allTaken = true;
  for (const room of payload.rooms) {
    seen.add(room.name);
    const r = roomState(ctx, room.name);
    r.room = room;
    if (isMember(ctx, room)) {
      if (!applyCounts(ctx, r, room, startedAt)) allTaken = false;
      if (!r.wanted) {
        r.wanted = true;
        if (state.socket && state.socket.connected) joinRoom(ctx, r);
      }
    } else if (r.wanted && !r.joined && !r.joining && state.active !== r.name) {
      r.wanted = false; // left on another device while this one was away
    }
  }
  for (const [name, r] of state.rooms) {
    if (!seen.has(name) && !r.joined && !r.joining && state.active !== name) state.rooms.delete(name);
  }
  snapshotDone(ctx, allTaken);
  renderRoomList(ctx);
  if (state.active) renderHeader(ctx);
}

export function openRoom(ctx, name) {
  const { state, ui } = ctx;
  const r = roomState(ctx, name);
  if (state.active && state.active !== name) saveScroll(ctx);
  state.active = name;
  if (location.hash !== `#/r/${encodeURIComponent(name)}`) {
    history.replaceState(null, '', `#/r/${encodeURIComponent(name)}`);
  }
  r.wanted = true; // joining a public room makes us a member (contract 4.1)
  ui.shell.classList.remove('show-sidebar');
  if (state.upload && state.upload.room !== name) cancelUpload(ctx);
  renderActiveRoom(ctx);
  renderRoomList(ctx);
  if (!r.joined && state.socket && state.socket.connected) joinRoom(ctx, r);
  ui.input.focus();
}

export function updateUnread(ctx, r) {
  const { state } = ctx;
  const visible = state.active === r.name && document.visibilityState === 'visible';
  if (visible && r.joined) markRead(ctx, r);
  updateTitle(ctx);
}

/** Everything in the room is read, on every device (readSync.js). */
export function markRead(ctx, r) {
  markRoomRead(ctx, r);
}

export function updateTitle(ctx) {
  const { state } = ctx;
  const total = totalUnread([...state.rooms.values()].filter((r) => r.wanted).map((r) => r.read));
  const active = state.active && state.rooms.get(state.active);
  const where = active ? `${roomLabel(active)} · ` : '';
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
  const dms = [];
  for (const r of state.rooms.values()) {
    if (r.room.kind === 'dm') {
      if (r.wanted) dms.push(r);
    } else (r.wanted ? mine : others).push(r);
  }
  const byName = (a, b) => a.name.localeCompare(b.name);
  mine.sort(byName);
  others.sort(byName);
  ui.roomList.replaceChildren(...mine.map(ctx.bound.roomItem));
  renderDirectMessages(ctx, dms);
  ui.otherList.replaceChildren(...others.map(ctx.bound.roomItem));
  ui.otherSection.hidden = others.length === 0;
  ui.emptyRooms.hidden = mine.length > 0;
  updateTitle(ctx);
}

export function roomItem(ctx, r) {
  const { state } = ctx;
  const active = state.active === r.name;
  const dm = r.room.kind === 'dm';
  const count = r.wanted && r.read.unread ? String(r.read.unread) : '';
  const mentions = r.wanted ? r.read.mentions : 0;
  let label = dm ? `direct message with ${roomLabel(r)}` : `${r.room.private ? 'private room' : 'room'} ${r.name}`;
  const news = r.wanted ? unreadLabel(r.read) : '';
  if (news) label += `, ${news}`;
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
      dm ? personDot(roomLabel(r)) : h('span', { class: 'room-icon' }, icon(r.room.private ? 'lock' : 'hash')),
      h('span', { class: 'room-name' }, dm ? roomLabel(r) : r.name),
      // A space between the name and the count, so the link's visible text ("general 3") is
      // word for word part of its spoken name ("room general, 3 unread"), as WCAG 2.5.3 asks.
      ' ',
      // An @ marker without a number: a link's visible text must be part of its spoken name,
      // which already says how many mentions.
      mentions ? h('span', { class: 'mention-badge', 'aria-hidden': 'true', title: unreadLabel({ unread: 0, mentions }) }, icon('at')) : null,
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
  ui.input.setAttribute('aria-label', `Message ${roomLabel(r)}`);
  ui.input.placeholder = `Message ${roomLabel(r)}`;
  ui.timeline.setAttribute('aria-label', `Messages in ${roomLabel(r)}`);
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
  const dm = r.room.kind === 'dm';
  ui.roomTitle.replaceChildren(
    dm ? personDot(roomLabel(r)) : h('span', { class: 'room-icon' }, icon(r.room.private ? 'lock' : 'hash')),
    dm ? roomLabel(r) : r.name,
  );
  const owner = r.room.owner ? ` · created by ${r.room.owner}` : '';
  const note = sameUser(r.room.dm_with, me.username) ? 'Notes to yourself' : 'Direct message';
  ui.roomMeta.textContent = dm ? note : `${r.room.private ? 'Private room' : 'Public room'}${owner}`;
  const isOwner = sameUser(r.room.owner, me.username);
  ui.addMemberButton.hidden = !(r.room.private && isOwner && !dm);
  // Members leave any room but their own; a DM cannot be left (contract 4.1, 4.2).
  ui.leaveButton.hidden = dm || isOwner || !r.wanted;
  syncMembers(ctx);
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
      h(
        'div',
        { class: 'room-start' },
        h('strong', {}, r.room.kind === 'dm' ? `This is the start of your conversation with ${roomLabel(r)}.` : `This is the start of #${r.name}.`),
      ),
    );
  } else {
    ui.history.hidden = true;
  }
}
