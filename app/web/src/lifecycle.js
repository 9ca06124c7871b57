// Navigation by URL hash and the end of a signed-in session.
import { session } from './api.js';
import { forgetAttachments } from './upload.js';
import { openRoom } from './rooms.js';

export function onHashChange(ctx) {
  const { state } = ctx;
  const match = location.hash.match(/^#\/r\/(.+)$/);
  if (match) {
    const name = decodeURIComponent(match[1]);
    if (name !== state.active) openRoom(ctx, name);
  }
}

export function endSession(ctx, notice) {
  const { state } = ctx;
  if (state.ended) return;
  state.ended = true;
  clearInterval(ctx.refreshTimer);
  window.removeEventListener('hashchange', ctx.bound.onHashChange);
  window.removeEventListener('focus', ctx.bound.refreshRooms);
  document.removeEventListener('visibilitychange', ctx.bound.onVisibility);
  if (state.socket) {
    state.socket.removeAllListeners();
    state.socket.disconnect();
  }
  forgetAttachments();
  session.clear();
  document.title = 'Chat';
  ctx.onSignedOut(notice);
}
