// One room's messages as the client knows them: confirmed messages kept in id order without
// duplicates, plus the user's own messages still waiting for their ack. Pure data, no DOM,
// so the merge rules (history pages, live frames, gap fill after a reconnect) live in one place.

export class Timeline {
  constructor() {
    this.byId = new Map();
    this.ids = []; // ascending
    this.pending = new Map(); // client_id -> pending entry, in insertion order
    this.hasMoreBefore = false;
  }

  get oldestId() {
    return this.ids.length ? this.ids[0] : null;
  }

  get newestId() {
    return this.ids.length ? this.ids[this.ids.length - 1] : null;
  }

  get size() {
    return this.ids.length;
  }

  get(id) {
    return this.byId.get(id) || null;
  }

  /** Index at which `id` sits (or would be inserted) in the ascending id list. */
  indexOf(id) {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Adds or refreshes a confirmed message. Returns {kind: 'added'|'updated'|'same', before}
   * where `before` is the id of the next newer message (null when it is the newest) so a view
   * can insert it at the right place.
   */
  upsert(message) {
    if (message.client_id) this.pending.delete(message.client_id);
    const known = this.byId.get(message.id);
    if (known) {
      const changed =
        known.body !== message.body || known.edited_at !== message.edited_at || v2Changed(known, message);
      // A late frame carrying an older edit must not overwrite a newer one.
      if (changed && !isOlderEdit(message, known)) {
        this.byId.set(message.id, message);
        return { kind: 'updated', before: null };
      }
      return { kind: 'same', before: null };
    }
    const at = this.indexOf(message.id);
    this.ids.splice(at, 0, message.id);
    this.byId.set(message.id, message);
    const before = at + 1 < this.ids.length ? this.ids[at + 1] : null;
    return { kind: 'added', before };
  }

  /** Changes fields of a known message in place (reactions from a `reactions` event). */
  patch(id, fields) {
    const known = this.byId.get(id);
    if (known) this.byId.set(id, { ...known, ...fields });
  }

  remove(id) {
    if (!this.byId.has(id)) return false;
    this.byId.delete(id);
    this.ids.splice(this.indexOf(id), 1);
    return true;
  }

  addPending(entry) {
    this.pending.set(entry.client_id, { state: 'pending', error: null, ...entry });
    return this.pending.get(entry.client_id);
  }

  /** The confirmed message ids newer than `id`, ascending. */
  idsAfter(id) {
    return this.ids.slice(this.indexOf(id + 1));
  }

  messages() {
    return this.ids.map((id) => this.byId.get(id));
  }
}

/** A thread's counts, reactions or mentions (CONTRACT 4.3-4.5) changed without an edit. */
function v2Changed(known, incoming) {
  return (
    known.reply_count !== incoming.reply_count ||
    known.last_reply_at !== incoming.last_reply_at ||
    JSON.stringify(known.reactions) !== JSON.stringify(incoming.reactions) ||
    JSON.stringify(known.mentions) !== JSON.stringify(incoming.mentions)
  );
}

function isOlderEdit(incoming, known) {
  if (!known.edited_at) return false;
  if (!incoming.edited_at) return true;
  return incoming.edited_at < known.edited_at;
}

/** A client_id for idempotent sends; crypto.randomUUID needs a secure context, so fall back. */
export function newClientId() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') {
    return globalThis.crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function formatBytes(size) {
  if (!Number.isFinite(size)) return '';
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(size < 10240 ? 1 : 0)} KB`;
  return `${(size / (1024 * 1024)).toFixed(1)} MB`;
}

/** "alice is typing", "alice and bob are typing", "3 people are typing". */
export function typingText(users) {
  if (users.length === 0) return '';
  if (users.length === 1) return `${users[0]} is typing…`;
  if (users.length === 2) return `${users[0]} and ${users[1]} are typing…`;
  return `${users.length} people are typing…`;
}
