// How far one has read a room, and its unread and mention counts, merged from what the server
// says (`GET /api/rooms` counts, `read` events, join acks) and what arrives live. Pure data, no
// DOM, no socket, so the merge rules live in one place and are unit-tested.
//
// The server's counts are the truth, but they arrive over HTTP while messages arrive over the
// socket, in no agreed order: a message that arrives while a count request is in flight may or
// may not be in that count. A snapshot that overlaps such a message (or a read) is therefore not
// taken; the caller asks again, and the next one, started after it, certainly includes it.

/** A counter shared by a user's rooms: each count request and each change gets a later tick. */
export class Clock {
  constructor() {
    this.now = 0;
  }

  tick() {
    this.now += 1;
    return this.now;
  }
}

/** Whether `message` mentions `me` (the server lists mentioned usernames as registered). */
export function mentionsMe(message, me) {
  const lower = me.toLowerCase();
  return (message.mentions || []).some((name) => name.toLowerCase() === lower);
}

const byMe = (message, me) => message.user.toLowerCase() === me.toLowerCase();

export class RoomReadState {
  constructor(clock) {
    this.clock = clock;
    this.lastRead = null; // the server's read position, as far as we know (null: none)
    this.unread = 0;
    this.mentions = 0;
    this.newest = null; // the newest message id seen in the room, from any source
    this.live = new Map(); // id -> {mention, at}: counted here since the last snapshot
    this.changedAt = 0; // tick of the last read or live change
  }

  get floor() {
    return this.lastRead || 0;
  }

  /** A message known from history (join, pages): only moves `newest`; counts come from the server. */
  seen(id) {
    if (this.newest === null || id > this.newest) this.newest = id;
  }

  /** A message arriving live. Returns true when the counts changed. */
  message(message, me) {
    this.seen(message.id);
    if (byMe(message, me) || message.id <= this.floor || this.live.has(message.id)) return false;
    const mention = mentionsMe(message, me);
    this.live.set(message.id, { mention, at: this.clock.tick() });
    this.changedAt = this.clock.now;
    this.unread += 1;
    if (mention) this.mentions += 1;
    return true;
  }

  /**
   * A `mention` event: a new message (maybe ahead of its `message` frame, or in a room this
   * socket has not joined) or an edit that added the mention. Returns 'counted', 'same', or
   * 'stale' when only the server can tell (a mention added to a message counted there).
   */
  mention(message, me) {
    if (byMe(message, me) || message.id <= this.floor) return 'same';
    const known = this.live.get(message.id);
    if (known) {
      if (known.mention) return 'same';
      known.mention = true;
      this.mentions += 1;
      this.changedAt = this.clock.tick();
      return 'counted';
    }
    if (this.newest !== null && message.id <= this.newest) return 'stale';
    this.message({ ...message, mentions: [me] }, me);
    return 'counted';
  }

  /** A message was deleted: 'counted' when it was counted here, 'stale' when maybe by the server. */
  deleted(id) {
    const known = this.live.get(id);
    if (known) {
      this.live.delete(id);
      this.unread = Math.max(0, this.unread - 1);
      if (known.mention) this.mentions = Math.max(0, this.mentions - 1);
      this.changedAt = this.clock.tick();
      return 'counted';
    }
    // counted by the server, perhaps: only a fresh count can tell
    return id > this.floor && this.unread > this.live.size ? 'stale' : 'same';
  }

  /**
   * The read position moved (a `read` event from another device, a `read` ack, a join ack).
   * It only moves forward. Returns 'clear' (nothing we know of is unread), 'same', or 'stale'
   * (read part way: only the server knows how many are left).
   */
  read(lastRead) {
    if (lastRead === null || lastRead === undefined || lastRead <= this.floor) return 'same';
    this.lastRead = lastRead;
    this.changedAt = this.clock.tick();
    if (this.newest === null || lastRead >= this.newest) {
      this.clearCounts();
      return 'clear';
    }
    this.dropUpTo(lastRead);
    return this.unread > this.live.size ? 'stale' : 'clear';
  }

  /**
   * A join ack's read position: moves `lastRead` forward and drops what it covers, but keeps
   * the server's counts (a first join's history holds top-level messages only, so a reply
   * above it may still be unread).
   */
  joined(lastRead) {
    if (lastRead === null || lastRead === undefined || lastRead <= this.floor) return;
    this.lastRead = lastRead;
    this.changedAt = this.clock.tick();
    this.dropUpTo(lastRead);
  }

  /** Live-counted messages up to `id` are read now. */
  dropUpTo(id) {
    for (const [known, info] of this.live) {
      if (known > id) continue;
      this.live.delete(known);
      this.unread = Math.max(0, this.unread - 1);
      if (info.mention) this.mentions = Math.max(0, this.mentions - 1);
    }
  }

  /** The user has seen everything shown: returns the id to report as read, or null. */
  readAll() {
    const had = this.unread || this.mentions;
    this.clearCounts();
    if (this.newest === null || this.newest <= this.floor) {
      if (had) this.changedAt = this.clock.tick();
      return null;
    }
    this.lastRead = this.newest;
    this.changedAt = this.clock.tick();
    return this.newest;
  }

  clearCounts() {
    this.unread = 0;
    this.mentions = 0;
    this.live.clear();
  }

  /**
   * The server's counts from a request started at tick `startedAt`. Taken only when nothing
   * changed here since it started; returns whether it was taken.
   */
  snapshot(startedAt, { unread = 0, mentions = 0 }) {
    if (this.changedAt >= startedAt) return false;
    this.unread = unread;
    this.mentions = mentions;
    this.live.clear();
    return true;
  }
}

/** The total shown in the tab title: unread messages of the rooms one is in. */
export function totalUnread(states) {
  let total = 0;
  for (const s of states) total += s.unread;
  return total;
}

/** "3 unread, 1 mention": the spoken part of a room link, '' when there is nothing new. */
export function unreadLabel(state) {
  const parts = [];
  if (state.unread) parts.push(`${state.unread} unread`);
  if (state.mentions) parts.push(`${state.mentions} ${state.mentions === 1 ? 'mention' : 'mentions'}`);
  return parts.join(', ');
}
