// Which rooms one is in, as the server says (contract 4.1): `member` in the room list,
// `member_added` / `member_removed` live on every device, and leaving over HTTP.
import { api, ApiError, roomPath } from './api.js';
import { Timeline } from './timeline.js';
import { closeMembers, onMembersChanged } from './members.js';
import { renderActiveRoom, renderRoomList, roomState } from './rooms.js';
import { joinRoom } from './session.js';
import { toast } from './status.js';

export const sameUser = (a, b) => Boolean(a) && Boolean(b) && a.toLowerCase() === b.toLowerCase();

/** A room's label for people: `#general`, or the other person of a direct message. */
export function roomLabel(r) {
  return r.room.kind === 'dm' ? r.room.dm_with || r.name : `#${r.name}`;
}

/**
 * Whether the room list says we are in `room`. A browser that used the v1 client remembered
 * the public rooms it had opened; those are joined once more (which makes us a member on the
 * server) and then forgotten locally.
 */
export function isMember(ctx, room) {
  const { store } = ctx;
  if (room.member === undefined) return room.private || store.isJoined(room.name); // a v1 server
  if (room.member) {
    if (store.isJoined(room.name)) store.setJoined(room.name, false);
    return true;
  }
  return store.isJoined(room.name);
}

/** `member_added`: a room appears for us at once (added, a DM opened with us, joined elsewhere). */
export function onMemberAdded(ctx, { room, user }) {
  const { state, me } = ctx;
  if (!room || !room.name) return;
  if (sameUser(user, me.username)) {
    const r = roomState(ctx, room.name);
    r.room = room;
    if (!r.wanted) {
      r.wanted = true;
      if (state.socket && state.socket.connected) joinRoom(ctx, r);
    }
    renderRoomList(ctx);
  }
  onMembersChanged(ctx, room.name);
}

/** `member_removed`: we left (here or on another device), were removed or banned. */
export function onMemberRemoved(ctx, { room, user }) {
  const { state, me } = ctx;
  onMembersChanged(ctx, room);
  if (!sameUser(user, me.username)) return;
  const r = state.rooms.get(room);
  if (!r || !r.wanted) return;
  const byUs = r.leaving;
  forgetMembership(ctx, r);
  if (!byUs) toast(ctx, `You are no longer a member of ${roomLabel(r)}.`);
}

function forgetMembership(ctx, r) {
  const { state, store } = ctx;
  r.wanted = false;
  r.joined = false;
  r.joining = null;
  r.timeline = new Timeline();
  r.online.clear();
  r.read.clearCounts();
  store.setJoined(r.name, false);
  // A public room stays in the list of rooms to join; a private room or a DM is gone.
  if (r.room.private || r.room.kind === 'dm') state.rooms.delete(r.name);
  if (state.active === r.name) {
    closeMembers(ctx, { focus: false });
    state.active = null;
    history.replaceState(null, '', '#');
    renderActiveRoom(ctx);
  }
  renderRoomList(ctx);
}

/** Leaves the room for good (every device): `DELETE /api/rooms/<name>/members/<me>`. */
export async function leaveRoom(ctx, name) {
  const { state, me } = ctx;
  const r = state.rooms.get(name);
  if (!r) return;
  r.leaving = true;
  try {
    await api('DELETE', roomPath(name, `/members/${encodeURIComponent(me.username)}`));
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) {
      toast(ctx, `Could not leave ${roomLabel(r)}: ${err.message}`, 'error');
    }
    return;
  } finally {
    r.leaving = false;
  }
  if (r.wanted) forgetMembership(ctx, r); // the event may come after the answer
  toast(ctx, `You left ${roomLabel(r)}.`);
}
