// `@` autocomplete in a message box: the room's members (GET /api/rooms/<name>/members) whose
// name matches what follows the `@`, as a listbox the box points at (aria-activedescendant), so
// it works from the keyboard: Up/Down choose, Enter or Tab inserts, Esc closes.
import { api, roomPath } from './api.js';
import { h } from './dom.js';
import { insertMention, matchMembers, mentionQueryAt } from './mentions.js';
import { announce } from './status.js';

const MEMBERS_FRESH_MS = 60000;
const members = new Map(); // room name -> {at, names, loading}
let counter = 0;

/** The room's member names, from a short-lived cache; who is online while the list loads. */
export async function memberNames(ctx, roomName) {
  const cached = members.get(roomName);
  if (cached && Date.now() - cached.at < MEMBERS_FRESH_MS) return cached.names;
  if (cached && cached.loading) return cached.loading;
  const loading = api('GET', roomPath(roomName, '/members'))
    .then(({ members: list }) => {
      const names = list.map((m) => m.username);
      members.set(roomName, { at: Date.now(), names, loading: null });
      return names;
    })
    .catch(() => {
      members.delete(roomName);
      const r = ctx.state.rooms.get(roomName);
      return r ? [...r.online] : [];
    });
  members.set(roomName, { at: 0, names: [], loading });
  return loading;
}

/** Someone joined or left: the next `@` asks the server again. */
export function forgetMembers(roomName) {
  members.delete(roomName);
}

/**
 * Adds autocomplete to `input` (a textarea inside `form`); `roomOf()` names the room whose
 * members are offered. Keys are caught on the form in the capture phase, before the box's own
 * Enter-to-send handler sees them.
 */
export function attachMentionAutocomplete(ctx, input, form, roomOf) {
  counter += 1;
  const listId = `mention-list-${counter}`;
  const list = h('ul', { class: 'mention-list', id: listId, role: 'listbox', 'aria-label': 'People to mention', hidden: true });
  form.append(list);
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', listId);
  const view = { query: null, names: [], active: 0, seq: 0 };

  const close = () => {
    view.query = null;
    view.names = [];
    list.hidden = true;
    list.replaceChildren();
    input.removeAttribute('aria-activedescendant');
  };

  const render = () => {
    if (!view.names.length) {
      close();
      return;
    }
    list.replaceChildren(
      ...view.names.map((name, i) =>
        h(
          'li',
          {
            id: `${listId}-${i}`,
            role: 'option',
            class: 'mention-option',
            'aria-selected': String(i === view.active),
            onmousedown: (event) => event.preventDefault(), // keep the caret in the box
            onclick: () => choose(i),
          },
          h('span', { class: 'mention-at', 'aria-hidden': 'true' }, '@'),
          name,
        ),
      ),
    );
    list.hidden = false;
    input.setAttribute('aria-activedescendant', `${listId}-${view.active}`);
  };

  const choose = (i) => {
    const name = view.names[i];
    const { query } = view;
    if (!name || !query) return;
    const next = insertMention(input.value, query.start, input.selectionStart, name);
    close();
    input.value = next.text;
    input.setSelectionRange(next.caret, next.caret);
    input.focus();
    input.dispatchEvent(new Event('input', { bubbles: true }));
  };

  const update = async () => {
    const query = input.selectionStart === input.selectionEnd ? mentionQueryAt(input.value, input.selectionStart) : null;
    const room = roomOf();
    if (!query || !room) {
      close();
      return;
    }
    view.seq += 1;
    const seq = view.seq;
    const names = matchMembers(await memberNames(ctx, room), query.prefix, ctx.me.username);
    if (seq !== view.seq) return; // typed on meanwhile
    const opened = list.hidden && names.length > 0;
    view.query = query;
    view.names = names;
    view.active = 0;
    render();
    if (opened) {
      announce(ctx, `${names.length} ${names.length === 1 ? 'person' : 'people'} to mention. Up and down to choose, Enter to insert.`);
    }
  };

  input.addEventListener('input', update);
  input.addEventListener('click', update);
  input.addEventListener('blur', () => setTimeout(close, 150));
  form.addEventListener(
    'keydown',
    (event) => {
      if (event.target !== input || list.hidden || event.isComposing) return;
      const n = view.names.length;
      let handled = true;
      if (event.key === 'ArrowDown') view.active = (view.active + 1) % n;
      else if (event.key === 'ArrowUp') view.active = (view.active - 1 + n) % n;
      else if (event.key === 'Enter' || event.key === 'Tab') choose(view.active);
      else if (event.key === 'Escape') close();
      else handled = false;
      if (!handled) return;
      event.preventDefault();
      event.stopPropagation();
      if (!list.hidden) render();
    },
    true,
  );
  input.addEventListener('keyup', (event) => {
    if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(event.key)) update();
  });
  return { close };
}
