// The signed-in client, put together: its state, its elements and the modules that act on them.
// Each module's functions take this context first: `ctx.state` (rooms, the open room, the
// socket), `ctx.ui` (the elements, layout.js), `ctx.store` (what the browser remembers), `ctx.me`.
import { buildLayout } from './layout.js';
import { endSession, onHashChange } from './lifecycle.js';
import { onComposerInput } from './composer.js';
import { onVisibility, openRoom, refreshRooms, renderActiveRoom, roomItem } from './rooms.js';
import { connect, showTransport } from './session.js';
import { setBanner } from './status.js';
import { localStore } from './store.js';
import { loadOlder } from './timelineView.js';
import { wireComposer, wireRoomForms, wireRoomHeader, wireTimeline } from './wiring.js';
import { wireDirectMessages } from './dms.js';
import { wireMembers } from './members.js';
import { wireMessageFeatures } from './messageFeatures.js';

/** Everything the signed-in view needs, created once per sign-in and torn down on sign-out. */
export function startChat(root, me, onSignedOut) {
  const ctx = createContext(root, me, onSignedOut);
  root.replaceChildren(ctx.ui.shell);

  wireComposer(ctx);
  wireRoomForms(ctx);
  wireRoomHeader(ctx);
  wireTimeline(ctx);
  wireDirectMessages(ctx);
  wireMembers(ctx);
  wireMessageFeatures(ctx);
  document.addEventListener('visibilitychange', ctx.bound.onVisibility);
  window.addEventListener('hashchange', ctx.bound.onHashChange);
  ctx.refreshTimer = setInterval(ctx.bound.refreshRooms, 30000);
  window.addEventListener('focus', ctx.bound.refreshRooms);

  start(ctx);
  return { endSession: (notice) => endSession(ctx, notice) };
}

/** The context every module's functions take: state, elements, storage, and bound handlers. */
export function createContext(root, me, onSignedOut) {
  const ctx = {
    root,
    me,
    onSignedOut,
    store: localStore(me.username),
    state: {
      rooms: new Map(), // name -> RoomState (rooms.js roomState)
      active: null,
      socket: null,
      everConnected: false,
      upload: null,
      lastTypingSent: 0,
      loadingOlder: false,
      ended: false,
    },
    ui: buildLayout(me),
    refreshTimer: null,
  };
  // Functions handed to listeners and callbacks, bound once: the same function can be removed.
  const handlers = { loadOlder, onComposerInput, onHashChange, onVisibility, refreshRooms, roomItem, showTransport };
  ctx.bound = Object.fromEntries(
    Object.entries(handlers).map(([name, fn]) => [name, (...args) => fn(ctx, ...args)]),
  );
  return ctx;
}

/** Opens the room in the URL (or the first joined one), then connects. */
async function start(ctx) {
  const { state } = ctx;
  await refreshRooms(ctx);
  const match = location.hash.match(/^#\/r\/(.+)$/);
  const wanted = [...state.rooms.values()].filter((r) => r.wanted);
  if (match) openRoom(ctx, decodeURIComponent(match[1]));
  else if (wanted.length) openRoom(ctx, wanted.sort((a, b) => a.name.localeCompare(b.name))[0].name);
  else renderActiveRoom(ctx);
  setBanner(ctx, null);
  connect(ctx);
}
