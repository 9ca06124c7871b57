// Read state kept with the server (contract 4.5): reading a room moves the read marker forward
// with `read`, the other devices' `read` events and `mention` events update the badges, and a
// fresh `GET /api/rooms` is asked for whenever only the server can say what is left unread.
// The counting rules themselves are in readState.js.
import { api, roomPath } from './api.js';
import { Clock, RoomReadState } from './readState.js';
import { refreshRooms, renderRoomList } from './rooms.js';
import { emitAck } from './session.js';

const REFRESH_DELAY_MS = 250;
const SNAPSHOT_RETRIES = 3;
const PROBED_THREADS = 5;

function clock(ctx) {
  if (!ctx.state.readClock) ctx.state.readClock = new Clock();
  return ctx.state.readClock;
}

/** A room's read state, made with the room's state (rooms.js roomState). */
export function newReadState(ctx) {
  return new RoomReadState(clock(ctx));
}

/** Called as `GET /api/rooms` is sent: the tick its counts are as of. */
export function beginSnapshot(ctx) {
  return clock(ctx).tick();
}

/**
 * The counts of one room from `GET /api/rooms`. A room whose counts changed here while the
 * request was in flight keeps its own: returns false, and snapshotDone asks again.
 */
export function applyCounts(ctx, r, room, startedAt) {
  if (!room.member || !('unread' in room)) return true;
  return r.read.snapshot(startedAt, room);
}

/** After a room list: when some counts were not taken, the list is asked for again, a few times. */
export function snapshotDone(ctx, allTaken) {
  const { state } = ctx;
  if (allTaken) {
    state.snapshotRetries = 0;
    return;
  }
  const retries = state.snapshotRetries || 0;
  if (retries < SNAPSHOT_RETRIES) {
    state.snapshotRetries = retries + 1;
    requestRefresh(ctx, 1000);
  }
}

/** Asks for the room list (and its counts) again soon; several requests make one. */
export function requestRefresh(ctx, delay = REFRESH_DELAY_MS) {
  const { state } = ctx;
  if (state.ended || state.refreshSoon) return;
  state.refreshSoon = setTimeout(() => {
    state.refreshSoon = null;
    if (!state.ended) refreshRooms(ctx);
  }, delay);
}

/** A message arriving live in a room one is in; returns whether its badge changed. */
export function countLive(ctx, r, message) {
  return r.read.message(message, ctx.me.username);
}

/** The join ack's `last_read` (null on a v1 server or a room never read). */
export function noteJoined(ctx, r, ack) {
  if (typeof ack.last_read === 'number') r.read.joined(ack.last_read);
  if (r.readFailed) {
    const id = r.readFailed;
    r.readFailed = null;
    r.readSent = null;
    report(ctx, r, id);
  }
}

/** Another device of ours read a room: every device agrees. */
export function onReadEvent(ctx, { room, last_read: lastRead }) {
  const r = ctx.state.rooms.get(room);
  if (!r) return;
  if (r.read.read(lastRead) === 'stale') requestRefresh(ctx);
  renderRoomList(ctx);
}

/** We were mentioned, in a room we may or may not have open. */
export function onMention(ctx, { room, message }) {
  const r = ctx.state.rooms.get(room);
  if (!r || !r.wanted || !message) return;
  const result = r.read.mention(message, ctx.me.username);
  if (result === 'stale') requestRefresh(ctx);
  if (result !== 'same') renderRoomList(ctx);
}

/** A message was deleted; its room's counts may go down. */
export function noteDeleted(ctx, r, id) {
  if (r.read.deleted(id) === 'stale') requestRefresh(ctx);
}

/**
 * The user is looking at the room: everything in it is read. Reports the newest message seen;
 * when the server counted messages this client never saw (thread replies newer than the
 * newest top-level message, from before this page was loaded), finds them first.
 */
export function markRoomRead(ctx, r) {
  const unseen = r.read.unread > r.read.live.size;
  const id = r.read.readAll();
  if (id !== null) report(ctx, r, id);
  if (unseen) probeReplies(ctx, r);
}

async function probeReplies(ctx, r) {
  const roots = r.timeline
    .messages()
    .filter((m) => m.reply_count && m.last_reply_at)
    .sort((a, b) => (a.last_reply_at < b.last_reply_at ? 1 : -1))
    .slice(0, PROBED_THREADS);
  let newest = null;
  for (const root of roots) {
    try {
      const page = await api('GET', roomPath(r.name, `/messages?thread=${root.id}&limit=1`));
      for (const m of page.messages) if (newest === null || m.id > newest) newest = m.id;
    } catch {
      // the next refresh counts it again; nothing is lost by trying later
    }
  }
  if (newest !== null && newest > r.read.floor) {
    r.read.seen(newest);
    const id = r.read.readAll();
    if (id !== null) report(ctx, r, id);
  }
}

/** Sends `read` for the room, one at a time, always the newest id wanted. */
async function report(ctx, r, id) {
  r.readWanted = Math.max(r.readWanted || 0, id);
  if (r.readSending) return;
  r.readSending = true;
  try {
    while (r.readWanted > (r.readSent || 0)) {
      const wanted = r.readWanted;
      const ack = await emitAck(ctx, 'read', { room: r.name, id: wanted });
      r.readSent = wanted;
      if (ack.ok) {
        r.read.read(ack.last_read);
      } else if (ack.error && ack.error.code === 'timeout') {
        r.readFailed = wanted; // sent again after the next join of the room
      }
    }
  } finally {
    r.readSending = false;
  }
}
