// @mentions: finding them in a body the way the server does (CONTRACT 4.5), showing the ones the
// server resolved, and the candidates for `@` autocomplete. The parsing is pure and unit-tested;
// `bodyContent` returns text nodes and spans only, never HTML.
import { h } from './dom.js';

// An `@` at the start or after a character that cannot be in a username starts a mention.
const CANDIDATE = /(?<![A-Za-z0-9_.-])@([A-Za-z0-9_.-]+)/g;
// What the caret sits right after while someone is typing a name: `@` and 0-32 name characters.
const TYPING = /(?<![A-Za-z0-9_.-])@([A-Za-z0-9_.-]{0,32})$/;

/**
 * The body cut into plain text and mentions: `[{text, user}]`, where `user` is the username as
 * registered (from the message's `mentions`) or null. Only names the server listed are marked,
 * since it alone knows who is a member; a `.` or `-` that ends the text or precedes whitespace
 * is punctuation, not part of the name.
 */
export function mentionSegments(body, mentioned) {
  const byLower = new Map((mentioned || []).map((name) => [name.toLowerCase(), name]));
  if (!byLower.size) return [{ text: body, user: null }];
  const out = [];
  let last = 0;
  for (const match of body.matchAll(CANDIDATE)) {
    let name = match[1];
    const end = match.index + match[0].length;
    if (end === body.length || /\s/.test(body[end])) name = name.replace(/[.-]+$/, '');
    const user = byLower.get(name.toLowerCase());
    if (!user) continue;
    if (match.index > last) out.push({ text: body.slice(last, match.index), user: null });
    out.push({ text: `@${name}`, user });
    last = match.index + 1 + name.length;
  }
  if (last < body.length) out.push({ text: body.slice(last), user: null });
  return out;
}

/**
 * The name being typed at the caret, as `{start, prefix}` (`start` is the index of the `@`),
 * or null when the caret is not right after `@` and name characters.
 */
export function mentionQueryAt(text, caret) {
  const match = TYPING.exec(text.slice(0, caret));
  if (!match) return null;
  return { start: match.index, prefix: match[1] };
}

/** Members whose name starts with the prefix, then those containing it; oneself left out. */
export function matchMembers(names, prefix, me, limit = 8) {
  const want = prefix.toLowerCase();
  const self = me.toLowerCase();
  const starts = [];
  const contains = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower === self) continue;
    if (lower.startsWith(want)) starts.push(name);
    else if (want && lower.includes(want)) contains.push(name);
  }
  const byName = (a, b) => a.toLowerCase().localeCompare(b.toLowerCase());
  return [...starts.sort(byName), ...contains.sort(byName)].slice(0, limit);
}

/** The text after choosing `name` for the query at `start..caret`, and where the caret goes. */
export function insertMention(text, start, caret, name) {
  const before = `${text.slice(0, start)}@${name} `;
  const after = text.slice(caret).replace(/^ /, '');
  return { text: before + after, caret: before.length };
}

/** A message body as nodes: mentions stand out, and mentions of oneself more so. */
export function bodyContent(ctx, message) {
  const me = ctx.me.username.toLowerCase();
  return mentionSegments(message.body, message.mentions).map(({ text, user }) =>
    user
      ? h(
          'span',
          { class: `mention${user.toLowerCase() === me ? ' mention-me' : ''}`, dataset: { user } },
          text,
        )
      : text,
  );
}
