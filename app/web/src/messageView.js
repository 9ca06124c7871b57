// One message: its element, and editing or deleting it in place.
import { clear, colourFor, dayOf, fullTimeOf, h, initialOf, timeOf } from './dom.js';
import { icon } from './icons.js';
import { attachmentElement } from './attachments.js';
import { deleteMessage, editMessage } from './composer.js';
import { bodyContent } from './mentions.js';
import { mentionsMe } from './readState.js';
import { reactionBar } from './reactions.js';
import { reactButton } from './reactionPicker.js';
import { findMessage, replyButton, threadSummary } from './threads.js';
import { announce } from './status.js';
import { regroup } from './timelineView.js';

export function avatar(ctx, name, size = '') {
  const el = h('span', { class: `avatar ${size}`, 'aria-hidden': 'true' }, initialOf(name));
  el.style.backgroundColor = colourFor(name);
  return el;
}

/** `inPanel`: shown in the thread panel (no thread line, no "Reply in thread"). */
export function messageElement(ctx, r, m, { inPanel = false } = {}) {
  const { me } = ctx;
  const mine = m.user.toLowerCase() === me.username.toLowerCase();
  const forMe = !mine && mentionsMe(m, me.username);
  const isOwner = r.room.owner && r.room.owner.toLowerCase() === me.username.toLowerCase();
  const created = new Date(m.created_at);
  const li = h('li', {
    class: `message${mine ? ' mine' : ''}${forMe ? ' mentions-me' : ''}`,
    dataset: {
      id: String(m.id),
      user: m.user,
      time: String(created.getTime() || 0),
      day: dayOf(m.created_at),
    },
  });
  const body = h('div', { class: 'body' }, bodyContent(ctx, m));
  const actions = h('div', { class: 'actions' }, reactButton(ctx, r, m), replyButton(ctx, r, m, { inPanel }));
  if (mine) {
    actions.append(
      h(
        'button',
        {
          type: 'button',
          class: 'icon-button',
          'aria-label': 'Edit message',
          title: 'Edit',
          onclick: () => startEdit(ctx, r, li, m),
        },
        icon('edit'),
      ),
    );
  }
  if (mine || isOwner) {
    actions.append(
      h(
        'button',
        {
          type: 'button',
          class: 'icon-button',
          'aria-label': 'Delete message',
          title: 'Delete',
          onclick: () => confirmDelete(ctx, r, li, m),
        },
        icon('trash'),
      ),
    );
  }
  li.append(
    h('div', { class: 'day-divider', 'aria-hidden': 'true' }, h('span', {}, li.dataset.day)),
    h(
      'div',
      { class: 'message-row' },
      avatar(ctx, m.user),
      h(
        'div',
        { class: 'content' },
        h(
          'div',
          { class: 'meta' },
          h('span', { class: 'author' }, m.user),
          forMe ? h('span', { class: 'sr-only' }, 'mentions you') : null,
          h(
            'time',
            { datetime: m.created_at, title: fullTimeOf(m.created_at) },
            timeOf(m.created_at),
          ),
        ),
        body,
        m.edited_at
          ? h('span', { class: 'edited', title: `Edited ${fullTimeOf(m.edited_at)}` }, '(edited)')
          : null,
        m.attachment ? attachmentElement(ctx, m.attachment) : null,
        reactionBar(ctx, r, m),
        threadSummary(ctx, r, m, { inPanel }),
        h('div', { class: 'inline-status', role: 'status' }),
      ),
      actions.childElementCount ? actions : null,
    ),
  );
  return li;
}

export function startEdit(ctx, r, li, m) {
  const { ui } = ctx;
  if (li.classList.contains('editing')) return;
  li.classList.add('editing');
  const body = li.querySelector('.body');
  const editor = h('textarea', {
    class: 'edit-input',
    'aria-label': 'Edit message',
    rows: 2,
  });
  editor.value = m.body;
  const status = h('p', { class: 'form-error', role: 'alert' });
  const finish = () => {
    li.classList.remove('editing');
    const current = findMessage(ctx, r, m.id);
    if (current) li.replaceWith(messageElement(ctx, r, current, { inPanel: !ui.messages.contains(li) }));
    regroup(ctx);
    ui.input.focus();
  };
  const save = async () => {
    const text = editor.value;
    if (!text.trim()) {
      status.textContent = 'A message cannot be empty. Delete it instead.';
      return;
    }
    if (text === m.body) {
      finish();
      return;
    }
    saveButton.disabled = true;
    const error = await editMessage(ctx, r, m.id, text);
    saveButton.disabled = false;
    if (error) status.textContent = error;
    else finish();
  };
  const saveButton = h('button', { type: 'button', class: 'btn btn-primary btn-small', onclick: save }, 'Save');
  editor.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      save();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      finish();
    }
  });
  const form = h(
    'div',
    { class: 'edit-form' },
    editor,
    status,
    h(
      'div',
      { class: 'edit-buttons' },
      h('span', { class: 'muted' }, 'Enter to save · Esc to cancel'),
      h('button', { type: 'button', class: 'btn btn-small', onclick: finish }, 'Cancel'),
      saveButton,
    ),
  );
  body.replaceWith(form);
  editor.focus();
  editor.setSelectionRange(editor.value.length, editor.value.length);
}

export function confirmDelete(ctx, r, li, m) {
  const { ui } = ctx;
  const status = li.querySelector('.inline-status');
  clear(status);
  const cancel = h('button', { type: 'button', class: 'btn btn-small' }, 'Cancel');
  const confirm = h('button', { type: 'button', class: 'btn btn-danger btn-small' }, 'Delete');
  cancel.addEventListener('click', () => {
    clear(status);
    li.querySelector('.actions button[aria-label="Delete message"]')?.focus();
  });
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    const error = await deleteMessage(ctx, r, m.id);
    if (error) {
      status.replaceChildren(h('span', { class: 'form-error' }, error));
    } else {
      announce(ctx, 'Message deleted.');
      ui.input.focus();
    }
  });
  status.append(h('span', {}, 'Delete this message? '), confirm, ' ', cancel);
  confirm.focus();
}

/** A message of one's own not acknowledged yet, as the room and the thread panel show it:
 * `extra` (an attachment) under the body, then its send state (see showSendState). */
export function pendingElement(ctx, entry, extra = null) {
  return h(
    'li',
    { class: 'message mine pending', dataset: { clientId: entry.client_id } },
    h(
      'div',
      { class: 'message-row' },
      avatar(ctx, entry.user),
      h(
        'div',
        { class: 'content' },
        h('div', { class: 'meta' }, h('span', { class: 'author' }, entry.user)),
        h('div', { class: 'body' }, entry.body),
        extra,
        h('div', { class: 'send-state', role: 'status' }),
      ),
    ),
  );
}

/** The send state of pending `entry` in its element `li`: sending, waiting for the connection,
 * or not sent with the reason, Retry and Discard. */
export function showSendState(ctx, li, entry, { retry, discard }) {
  const { state } = ctx;
  const status = li.querySelector('.send-state');
  li.classList.toggle('failed', entry.state === 'failed');
  if (entry.state === 'failed') {
    status.replaceChildren(
      h('span', { class: 'form-error' }, `Not sent: ${entry.error} `),
      h('button', { type: 'button', class: 'link-button', onclick: retry }, 'Retry'),
      ' · ',
      h('button', { type: 'button', class: 'link-button', onclick: discard }, 'Discard'),
    );
  } else {
    const connected = state.socket && state.socket.connected;
    status.textContent = connected ? 'Sending…' : 'Waiting for connection…';
  }
}
