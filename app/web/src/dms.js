// Direct messages (contract 4.2): the sidebar's "Direct messages" list and "Message someone".
// A DM is a room like any other for history, sending and read state; only its name is the
// server's, so people see the other person's name instead.
import { api, ApiError } from './api.js';
import { colourFor, h } from './dom.js';
import { icon } from './icons.js';
import { openRoom, roomState } from './rooms.js';

/** The sidebar section (layout.js places it under "Your rooms"). */
export function buildDirectMessages(ui) {
  ui.dmList = h('ul', { class: 'room-list', 'aria-labelledby': 'dms-heading' });
  ui.emptyDms = h('p', { class: 'muted small' }, 'No direct messages yet.');
  ui.dmButton = h(
    'button',
    { type: 'button', class: 'link-button dm-start', 'aria-expanded': 'false', 'aria-controls': 'dm-form' },
    icon('plus'),
    ' Message someone',
  );
  ui.dmName = h('input', { id: 'dm-name', autocomplete: 'off', maxlength: 32, required: true });
  ui.dmError = h('p', { class: 'form-error', role: 'alert' });
  ui.dmCancel = h('button', { type: 'button', class: 'btn btn-small' }, 'Cancel');
  ui.dmForm = h(
    'form',
    { class: 'new-room dm-form', id: 'dm-form', 'aria-label': 'Message someone', hidden: true },
    h('label', { for: 'dm-name' }, 'Username to message'),
    ui.dmName,
    ui.dmError,
    h(
      'div',
      { class: 'inline-fields' },
      h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Open conversation'),
      ui.dmCancel,
    ),
  );
  return h(
    'section',
    { class: 'dm-section' },
    h('h2', { id: 'dms-heading', class: 'section-title' }, 'Direct messages'),
    ui.dmList,
    ui.emptyDms,
    ui.dmButton,
    ui.dmForm,
  );
}

export function wireDirectMessages(ctx) {
  const { ui } = ctx;
  const show = (open) => {
    ui.dmForm.hidden = !open;
    ui.dmButton.setAttribute('aria-expanded', String(open));
    ui.dmError.textContent = '';
    if (open) ui.dmName.focus();
  };
  ui.dmButton.addEventListener('click', () => show(ui.dmForm.hidden));
  ui.dmCancel.addEventListener('click', () => {
    show(false);
    ui.dmButton.focus();
  });
  ui.dmForm.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      show(false);
      ui.dmButton.focus();
    }
  });
  ui.dmForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = ui.dmName.value.trim();
    ui.dmError.textContent = '';
    if (!username) return;
    const error = await openDirectMessage(ctx, username);
    if (error) {
      ui.dmError.textContent = error;
      ui.dmName.focus();
    } else {
      ui.dmName.value = '';
      show(false);
    }
  });
}

/** Opens (creating it the first time) the DM with `username`; returns an error text or null. */
export async function openDirectMessage(ctx, username) {
  try {
    const { room } = await api('POST', '/api/dms', { username });
    roomState(ctx, room.name).room = room;
    openRoom(ctx, room.name);
    return null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return `There is no user named ${username}.`;
    return err.message;
  }
}

/**
 * The person's colour, where a room shows its # or lock. No initial in it: a link's visible
 * text must stay part of its spoken name ("direct message with bob").
 */
export function personDot(name) {
  const dot = h('span', { class: 'person-dot', 'aria-hidden': 'true' });
  dot.style.backgroundColor = colourFor(name);
  return dot;
}

/** The DM links, by the other person's name. */
export function renderDirectMessages(ctx, dms) {
  const { ui } = ctx;
  const name = (r) => (r.room.dm_with || r.name).toLowerCase();
  dms.sort((a, b) => name(a).localeCompare(name(b)));
  ui.dmList.replaceChildren(...dms.map(ctx.bound.roomItem));
  ui.emptyDms.hidden = dms.length > 0;
}
