// Threads, reactions, mentions and search put together: the controls they add to the
// signed-in view (chat.js) and the server events they follow (session.js).
import { attachMentionAutocomplete, forgetMembers } from './mentionAutocomplete.js';
import { onReactions } from './reactions.js';
import { buildSearchForm } from './search.js';
import { closePanel } from './sidePanel.js';
import { renderPendingReplies } from './threadComposer.js';
import { onThreadMessageDeleted, onThreadRootUpdated, refreshThread } from './threads.js';

/** The search box above the room list and `@` autocomplete in the room's message box. */
export function wireMessageFeatures(ctx) {
  const { state, ui } = ctx;
  ui.sidebarHead.append(buildSearchForm(ctx));
  attachMentionAutocomplete(ctx, ui.input, ui.composer, () => state.active);
  // A touch screen has no hover: a tap on a message shows its actions (styles.css, phones).
  let touched = null;
  ui.shell.addEventListener('click', (event) => {
    const li = event.target.closest('li.message');
    if (li === touched) return;
    if (touched) touched.classList.remove('touched');
    touched = li;
    if (li) li.classList.add('touched');
  });
}

/** The events of threads and reactions, beside the ones session.js handles. */
export function listenForMessageFeatures(ctx, socket) {
  socket.on('reactions', (event) => onReactions(ctx, event));
  socket.on('message_updated', (message) => onThreadRootUpdated(ctx, message));
  socket.on('message_deleted', (event) => onThreadMessageDeleted(ctx, event));
  socket.on('member_added', ({ room }) => forgetMembers(typeof room === 'string' ? room : room && room.name));
  socket.on('member_removed', ({ room, user }) => {
    forgetMembers(room);
    // One's own removal takes the room's thread away too.
    const t = ctx.state.thread;
    if (t && t.room === room && user && user.toLowerCase() === ctx.me.username.toLowerCase()) closePanel(ctx);
  });
  socket.on('connect', () => refreshThread(ctx));
  socket.on('disconnect', () => {
    if (ctx.state.thread) renderPendingReplies(ctx, ctx.state.thread);
  });
}
