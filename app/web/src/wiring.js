// The signed-in view's event handlers: what each control does.
import { api, roomPath } from './api.js';
import { ROOM_NAME_RE } from './shared.js';
import { attachFile, cancelUpload } from './attachments.js';
import { sendFromComposer } from './composer.js';
import { endSession } from './lifecycle.js';
import { leaveRoom } from './membership.js';
import { openRoom, roomState } from './rooms.js';
import { toast } from './status.js';
import { isNearBottom, loadOlder, scrollToBottom, showJumpButton } from './timelineView.js';

/** Keys, paste, the file picker and drag and drop in the composer. */
export function wireComposer(ctx) {
  const { state, ui } = ctx;
  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    sendFromComposer(ctx);
  });
  ui.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendFromComposer(ctx);
    } else if (event.key === 'ArrowUp' && !ui.input.value) {
      // As in the chat apps people know: Up in an empty box edits one's last message.
      const mine = [...ui.messages.querySelectorAll('li.message.mine')];
      const last = mine[mine.length - 1];
      const edit = last && last.querySelector('button[aria-label="Edit message"]');
      if (edit) {
        event.preventDefault();
        edit.click();
      }
    } else if (event.key === 'Escape' && state.upload) {
      cancelUpload(ctx);
    }
  });
  ui.input.addEventListener('input', ctx.bound.onComposerInput);
  ui.input.addEventListener('paste', (event) => {
    const file = [...(event.clipboardData?.files || [])][0];
    if (file) {
      event.preventDefault();
      attachFile(ctx, file);
    }
  });
  ui.fileInput.addEventListener('change', () => {
    const file = ui.fileInput.files[0];
    ui.fileInput.value = '';
    if (file) attachFile(ctx, file);
  });
  ui.attachButton.addEventListener('click', () => ui.fileInput.click());

  let dragDepth = 0;
  ui.roomView.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    dragDepth += 1;
    ui.roomView.classList.add('dropping');
  });
  ui.roomView.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) ui.roomView.classList.remove('dropping');
  });
  ui.roomView.addEventListener('dragover', (event) => {
    if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
  });
  ui.roomView.addEventListener('drop', (event) => {
    event.preventDefault();
    dragDepth = 0;
    ui.roomView.classList.remove('dropping');
    const file = event.dataTransfer?.files[0];
    if (file) attachFile(ctx, file);
  });
}

/** The new-room form (names are lowercase with dashes). */
export function wireRoomForms(ctx) {
  const { ui } = ctx;
  ui.newRoomForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = ui.newRoomName.value.trim().toLowerCase();
    ui.newRoomError.textContent = '';
    if (!ROOM_NAME_RE.test(name)) {
      ui.newRoomError.textContent = 'Use 1-64 lowercase letters, digits or dashes.';
      ui.newRoomName.focus();
      return;
    }
    try {
      const { room } = await api('POST', '/api/rooms', { name, private: ui.newRoomPrivate.checked });
      roomState(ctx, room.name).room = room;
      ui.newRoomName.value = '';
      ui.newRoomPrivate.checked = false;
      ui.newRoomDetails.open = false;
      openRoom(ctx, room.name);
      toast(ctx, `Created #${room.name}.`);
    } catch (err) {
      ui.newRoomError.textContent =
        err.status === 409 ? `A room named ${name} already exists.` : err.message;
    }
  });
  ui.newRoomName.addEventListener('input', () => {
    // Room names are lowercase with dashes; typing "Team Chat" should just work.
    const pos = ui.newRoomName.selectionStart;
    ui.newRoomName.value = ui.newRoomName.value.toLowerCase().replace(/\s/g, '-');
    ui.newRoomName.setSelectionRange(pos, pos);
  });
}

/** The open room's buttons: add people, leave, the menu, who is online, sign out. */
export function wireRoomHeader(ctx) {
  const { state, ui } = ctx;
  ui.addMemberButton.addEventListener('click', () => {
    ui.memberDialog.hidden = !ui.memberDialog.hidden;
    ui.memberError.textContent = '';
    if (!ui.memberDialog.hidden) ui.memberName.focus();
  });
  ui.memberForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = ui.memberName.value.trim();
    ui.memberError.textContent = '';
    if (!username || !state.active) return;
    try {
      await api('POST', roomPath(state.active, '/members'), { username });
      ui.memberName.value = '';
      ui.memberDialog.hidden = true;
      toast(ctx, `${username} can now see #${state.active}.`);
      ui.addMemberButton.focus();
    } catch (err) {
      ui.memberError.textContent =
        err.status === 404 ? `There is no user named ${username}.` : err.message;
    }
  });
  ui.memberCancel.addEventListener('click', () => {
    ui.memberDialog.hidden = true;
    ui.addMemberButton.focus();
  });
  ui.leaveButton.addEventListener('click', () => state.active && leaveRoom(ctx, state.active));
  ui.menuButton.addEventListener('click', () => ui.shell.classList.toggle('show-sidebar'));
  ui.onlineToggle.addEventListener('click', () => {
    const open = ui.shell.classList.toggle('show-online');
    ui.onlineToggle.setAttribute('aria-expanded', String(open));
  });
  ui.logoutButton.addEventListener('click', async () => {
    try {
      await api('POST', '/api/logout');
    } catch {
      // Signing out locally matters more than the server hearing about it.
    }
    endSession(ctx, '');
  });
}
/** Scrolling the message list: older pages near the top, the jump button near the bottom. */
export function wireTimeline(ctx) {
  const { ui } = ctx;
  ui.timeline.addEventListener('scroll', () => {
    if (ui.timeline.scrollTop < 150) loadOlder(ctx);
    if (isNearBottom(ctx)) showJumpButton(ctx, false);
  });
  ui.jumpButton.addEventListener('click', () => {
    scrollToBottom(ctx);
    ui.input.focus();
  });
}
