// The member list of the open room (contract 4.1): who is in it and who owns it; the owner
// removes or bans people, anyone starts a direct message from it. Kept current by
// `member_added` / `member_removed`.
import { api, ApiError, roomPath } from './api.js';
import { clear, h } from './dom.js';
import { openDirectMessage } from './dms.js';
import { sameUser } from './membership.js';
import { avatar } from './messageView.js';
import { toast } from './status.js';

/** The header's "Members" button and its panel (layout.js places them). */
export function buildMembers(ui) {
  ui.membersButton = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-ghost btn-small',
      'aria-expanded': 'false',
      'aria-controls': 'members-panel',
    },
    'Members',
  );
  ui.membersHeading = h('h2', { class: 'section-title', id: 'members-heading' }, 'Members');
  ui.membersList = h('ul', { class: 'members-list', 'aria-labelledby': 'members-heading' });
  ui.membersError = h('p', { class: 'form-error', role: 'alert' });
  ui.membersClose = h('button', { type: 'button', class: 'btn btn-small' }, 'Close');
  // A banned user is no longer a member, so the list cannot show them: the owner names them.
  ui.unbanName = h('input', { id: 'unban-name', autocomplete: 'off', maxlength: 32, required: true });
  ui.unbanError = h('p', { class: 'form-error', role: 'alert' });
  ui.unbanForm = h(
    'form',
    { class: 'member-form unban-form', hidden: true },
    h('label', { for: 'unban-name' }, 'Let a banned user back in'),
    h(
      'div',
      { class: 'inline-fields' },
      ui.unbanName,
      h('button', { type: 'submit', class: 'btn btn-small' }, 'Unban'),
    ),
    ui.unbanError,
  );
  ui.membersPanel = h(
    'div',
    {
      class: 'member-dialog members-panel',
      id: 'members-panel',
      role: 'dialog',
      'aria-labelledby': 'members-heading',
      hidden: true,
    },
    h('div', { class: 'members-head' }, ui.membersHeading, ui.membersClose),
    ui.membersError,
    ui.membersList,
    ui.unbanForm,
  );
}

export function wireMembers(ctx) {
  const { ui } = ctx;
  ui.membersButton.addEventListener('click', () => {
    if (ui.membersPanel.hidden) openMembers(ctx);
    else closeMembers(ctx);
  });
  ui.membersClose.addEventListener('click', () => closeMembers(ctx));
  // One panel under the header at a time: "Add people" closes this one.
  ui.addMemberButton.addEventListener('click', () => closeMembers(ctx, { focus: false }));
  ui.membersPanel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') closeMembers(ctx);
  });
  ui.unbanForm.addEventListener('submit', (event) => {
    event.preventDefault();
    unban(ctx);
  });
}

export function openMembers(ctx) {
  const { ui } = ctx;
  ui.membersPanel.hidden = false;
  ui.membersButton.setAttribute('aria-expanded', 'true');
  ui.memberDialog.hidden = true;
  loadMembers(ctx).then(() => {
    const first = ui.membersList.querySelector('button');
    (first || ui.membersClose).focus();
  });
}

export function closeMembers(ctx, { focus = true } = {}) {
  const { ui, state } = ctx;
  if (ui.membersPanel.hidden) return;
  ui.membersPanel.hidden = true;
  ui.membersButton.setAttribute('aria-expanded', 'false');
  state.membersRoom = null;
  if (focus) ui.membersButton.focus();
}

/** The header was drawn for the open room: the panel follows it, or closes. */
export function syncMembers(ctx) {
  const { state, ui } = ctx;
  const r = state.active && state.rooms.get(state.active);
  const dm = !r || r.room.kind === 'dm';
  ui.membersButton.hidden = dm;
  if (ui.membersPanel.hidden) return;
  if (dm) closeMembers(ctx, { focus: false });
  else if (state.membersRoom !== state.active) loadMembers(ctx);
}

/** Someone joined or left `room`: a list on screen is read again. */
export function onMembersChanged(ctx, room) {
  const { state, ui } = ctx;
  if (!ui.membersPanel.hidden && state.active === room) loadMembers(ctx);
}

async function loadMembers(ctx) {
  const { state, ui } = ctx;
  const name = state.active;
  if (!name) return;
  state.membersRoom = name;
  ui.membersHeading.textContent = `Members of #${name}`;
  try {
    const { members } = await api('GET', roomPath(name, '/members'));
    if (state.active !== name || ui.membersPanel.hidden) return;
    ui.membersError.textContent = '';
    renderMembers(ctx, members);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    ui.membersError.textContent = err.message;
  }
}

function renderMembers(ctx, members) {
  const { state, ui, me } = ctx;
  const r = state.rooms.get(state.active);
  const iOwn = r && sameUser(r.room.owner, me.username);
  ui.unbanForm.hidden = !iOwn;
  ui.membersHeading.textContent = `Members of #${state.active} — ${members.length}`;
  ui.membersList.replaceChildren(
    ...members.map((m) => {
      const mine = sameUser(m.username, me.username);
      const actions = h('span', { class: 'member-actions' });
      if (!mine) {
        actions.append(
          h('button', {
            type: 'button',
            class: 'btn btn-ghost btn-small',
            'aria-label': `Message ${m.username}`,
            onclick: () => {
              closeMembers(ctx, { focus: false });
              openDirectMessage(ctx, m.username);
            },
          }, 'Message'),
        );
      }
      if (iOwn && m.role !== 'owner') {
        actions.append(
          actionButton(ctx, m.username, 'Remove', 'remove'),
          actionButton(ctx, m.username, 'Ban', 'ban'),
        );
      }
      return h(
        'li',
        { class: 'member', dataset: { user: m.username } },
        avatar(ctx, m.username, 'small'),
        h('span', { class: 'member-name' }, m.username, mine ? h('span', { class: 'muted' }, ' (you)') : null),
        m.role === 'owner' ? h('span', { class: 'role-tag' }, 'owner') : null,
        actions,
        h('span', { class: 'inline-status member-status' }),
      );
    }),
  );
}

function actionButton(ctx, username, label, kind) {
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-ghost btn-small',
      'aria-label': `${label} ${username}`,
      onclick: (event) => confirmAction(ctx, event.currentTarget, username, kind),
    },
    label,
  );
}

/** Removing and banning ask first, in place, as deleting a message does. */
function confirmAction(ctx, button, username, kind) {
  const { state } = ctx;
  const room = state.active;
  const status = button.closest('li').querySelector('.member-status');
  clear(status);
  const verb = kind === 'ban' ? 'Ban' : 'Remove';
  const question =
    kind === 'ban'
      ? `Ban ${username} from #${room}? They cannot come back until unbanned. `
      : `Remove ${username} from #${room}? `;
  const confirm = h('button', { type: 'button', class: 'btn btn-danger btn-small' }, verb);
  const cancel = h('button', { type: 'button', class: 'btn btn-small' }, 'Cancel');
  cancel.addEventListener('click', () => {
    clear(status);
    button.focus();
  });
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      if (kind === 'ban') await api('POST', roomPath(room, '/bans'), { username });
      else await api('DELETE', roomPath(room, `/members/${encodeURIComponent(username)}`));
      toast(ctx, kind === 'ban' ? `${username} is banned from #${room}.` : `${username} was removed from #${room}.`);
      if (state.active === room) loadMembers(ctx);
      ctx.ui.membersClose.focus();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      status.replaceChildren(h('span', { class: 'form-error', role: 'alert' }, err.message));
    }
  });
  status.append(h('span', {}, question), confirm, ' ', cancel);
  confirm.focus();
}

async function unban(ctx) {
  const { state, ui } = ctx;
  const room = state.active;
  const username = ui.unbanName.value.trim();
  ui.unbanError.textContent = '';
  if (!room || !username) return;
  try {
    await api('DELETE', roomPath(room, `/bans/${encodeURIComponent(username)}`));
    ui.unbanName.value = '';
    toast(ctx, `${username} may join #${room} again.`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    ui.unbanError.textContent = err.status === 404 ? `There is no user named ${username}.` : err.message;
  }
}
