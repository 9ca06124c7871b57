// Search (CONTRACT 4.6): the box above the room list, results in the side panel (newest
// first, the words found marked, paged with `before`), and each result a button that opens
// its room (or its thread) at that message.
import { api } from './api.js';
import { fullTimeOf, h } from './dom.js';
import { icon } from './icons.js';
import { codePoints } from './shared.js';
import { openRoom } from './rooms.js';
import { toast } from './status.js';
import { loadOlder } from './timelineView.js';
import { closePanel, panelCovers, panelKind, showPanel } from './sidePanel.js';
import { roomLabel } from './membership.js';
import { flash, openThread, whenJoined } from './threads.js';

const LIMIT = 20;
const Q_MAX = 200;

/** Lower case without accents: how the server compares words. */
export function fold(text) {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The words of a query, folded; punctuation separates words and is otherwise ignored. */
export function searchWords(q) {
  return fold(q).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/**
 * The body cut into `[{text, hit}]`: a word of the body is a hit when a query word is a prefix
 * of it (case and accents aside), as the server matches.
 */
export function highlightSegments(body, words) {
  const out = [];
  let last = 0;
  for (const match of body.matchAll(/[\p{L}\p{N}\p{M}]+/gu)) {
    const word = fold(match[0]);
    if (!words.some((w) => word.startsWith(w))) continue;
    if (match.index > last) out.push({ text: body.slice(last, match.index), hit: false });
    out.push({ text: match[0], hit: true });
    last = match.index + match[0].length;
  }
  if (last < body.length) out.push({ text: body.slice(last), hit: false });
  return out;
}

/** The search box at the top of the sidebar. */
export function buildSearchForm(ctx) {
  const input = h('input', {
    type: 'search',
    class: 'search-input',
    name: 'q',
    'aria-label': 'Search messages',
    placeholder: 'Search messages',
    autocomplete: 'off',
    maxlength: Q_MAX,
  });
  const form = h(
    'form',
    { class: 'search-form', role: 'search' },
    h('span', { class: 'search-icon', 'aria-hidden': 'true' }, icon('search')),
    input,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (!q) return;
    ctx.ui.shell.classList.remove('show-sidebar'); // the phone's drawer gives way to the results
    search(ctx, q, ctx.state.search ? ctx.state.search.room : '');
  });
  ctx.ui.searchInput = input;
  return form;
}

/** Runs a new search (or, with `more`, the next page of the current one) and shows it. */
export async function search(ctx, q, room = '', { more = false } = {}) {
  const { state } = ctx;
  const current = state.search;
  const s = more && current ? current : { q, room, results: [], more: false, error: '', loading: false };
  state.search = s;
  if (codePoints(q) > Q_MAX) {
    s.error = `Search for at most ${Q_MAX} characters.`;
    renderSearch(ctx);
    return;
  }
  const params = new URLSearchParams({ q, limit: String(LIMIT) });
  if (room) params.set('room', room);
  if (more && s.results.length) params.set('before', String(s.results[s.results.length - 1].id));
  const shown = s.results.length;
  s.loading = true;
  if (!more) renderSearch(ctx, { focus: 'filter-if-there' });
  try {
    const page = await api('GET', `/api/search?${params}`);
    if (state.search !== s) return;
    s.results.push(...page.messages);
    s.more = Boolean(page.more);
    s.error = '';
  } catch (err) {
    if (state.search !== s) return;
    s.error = err.message;
  }
  s.loading = false;
  renderSearch(ctx, { focus: more ? shown : 'filter-if-there' });
}

/**
 * Shows the current search in the side panel. `focus`: the index of a result to focus (the
 * first of a new page), or 'filter-if-there' to keep focus on the room filter when it had it.
 */
export function renderSearch(ctx, { focus = null } = {}) {
  const { state } = ctx;
  const s = state.search;
  if (!s) return;
  const words = searchWords(s.q);
  const filter = roomFilter(ctx, s);
  const summary = s.loading
    ? 'Searching…'
    : `${s.results.length}${s.more ? '+' : ''} ${s.results.length === 1 ? 'message' : 'messages'} found`;
  const list = h(
    'ol',
    { class: 'search-results', 'aria-label': 'Search results' },
    s.results.map((m) => h('li', {}, resultButton(ctx, m, words))),
  );
  const moreButton = s.more
    ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => search(ctx, s.q, s.room, { more: true }) }, 'More results')
    : null;
  const body = h(
    'div',
    { class: 'panel-body search-body' },
    filter,
    h('p', { class: 'search-summary muted', role: 'status' }, s.error ? '' : summary),
    h('p', { class: 'form-error', role: 'alert' }, s.error),
    !s.loading && !s.error && !s.results.length ? h('p', { class: 'muted' }, 'No messages match. Try fewer or shorter words.') : null,
    list,
    moreButton,
  );
  const filterHadFocus = document.activeElement && document.activeElement.id === 'search-room';
  showPanel(ctx, 'search', {
    title: 'Search',
    subtitle: `“${s.q}”`,
    closeLabel: 'Close search',
    body,
    returnFocus: ctx.ui.searchInput,
  });
  if (typeof focus === 'number') list.children[focus]?.querySelector('button')?.focus();
  else if (focus === 'filter-if-there' && filterHadFocus) document.getElementById('search-room')?.focus();
}

function roomFilter(ctx, s) {
  const rooms = [...ctx.state.rooms.values()].filter((r) => r.wanted).sort((a, b) => a.name.localeCompare(b.name));
  const select = h(
    'select',
    { id: 'search-room', class: 'search-room' },
    h('option', { value: '', selected: s.room === '' }, 'All your rooms'),
    rooms.map((r) => h('option', { value: r.name, selected: s.room === r.name }, roomLabel(r))),
  );
  select.addEventListener('change', () => search(ctx, s.q, select.value));
  return h('div', { class: 'search-filter' }, h('label', { for: 'search-room' }, 'In'), select);
}

function resultButton(ctx, m, words) {
  const r = ctx.state.rooms.get(m.room);
  const where = r ? roomLabel(r) : `#${m.room}`;
  return h(
    'button',
    { type: 'button', class: 'search-result', onclick: () => jumpToMessage(ctx, m) },
    h(
      'span',
      { class: 'result-meta' },
      h('span', { class: 'result-room' }, where),
      h('span', { class: 'author' }, m.user),
      m.thread ? h('span', { class: 'muted' }, 'in a thread') : null,
      h('time', { class: 'muted', datetime: m.created_at }, fullTimeOf(m.created_at)),
    ),
    h(
      'span',
      { class: 'result-body' },
      highlightSegments(m.body, words).map(({ text, hit }) => (hit ? h('mark', {}, text) : text)),
    ),
  );
}

/**
 * Opens the message's room at the message: older pages load until it is there; a reply opens
 * its thread (with a way back to the results).
 */
export async function jumpToMessage(ctx, m) {
  const { state, ui } = ctx;
  if (state.active !== m.room) openRoom(ctx, m.room);
  const r = state.rooms.get(m.room);
  if (!r || !(await whenJoined(r)) || state.active !== m.room) return;
  if (m.thread) {
    openThread(ctx, r, m.thread, { highlight: m.id, back: () => renderSearch(ctx) });
    return;
  }
  if (panelCovers() && panelKind(ctx) === 'search') closePanel(ctx, { refocus: false });
  for (let i = 0; i < 60 && !r.timeline.get(m.id) && r.timeline.hasMoreBefore; i += 1) {
    if (state.loadingOlder) await new Promise((resolve) => setTimeout(resolve, 100));
    else await loadOlder(ctx);
    if (state.active !== m.room) return;
  }
  const li = ui.messages.querySelector(`li[data-id="${m.id}"]`);
  if (li) flash(li);
  else toast(ctx, 'That message is no longer there.', 'error');
}
