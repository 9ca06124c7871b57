// What the client remembers in the browser between visits.

/**
 * Per-user memory in localStorage. Membership and read positions are the server's (contract
 * 4.1, 4.5); what is left here is the list of public rooms a v1 client had opened, read once
 * so those rooms become memberships (membership.js isMember).
 */
export function localStore(username) {
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
  };
}
