// Reactions (CONTRACT 4.4): the chips under a message, who reacted (a tooltip on hover and on
// keyboard focus), toggling one's own with `react`, and the `reactions` event. The list rules
// (order of first use, an emoji nobody has any more leaves) are pure functions, unit-tested.
import { h } from './dom.js';
import { errorText } from './shared.js';
import { emitAck } from './session.js';
import { toast } from './status.js';
import { findMessage, setMessageFields } from './threads.js';

let tipCounter = 0;

const same = (a, b) => a.toLowerCase() === b.toLowerCase();

export function hasReacted(reaction, me) {
  return reaction.users.some((user) => same(user, me));
}

/**
 * The list after `me` adds (`on`) or takes back an emoji, as the server will answer it: a new
 * emoji goes last, one nobody has any more leaves, repeating a change changes nothing.
 */
export function toggleReaction(reactions, emoji, me, on) {
  const list = (reactions || []).map((r) => ({ ...r, users: [...r.users] }));
  const at = list.findIndex((r) => r.emoji === emoji);
  if (on) {
    if (at === -1) return [...list, { emoji, count: 1, users: [me] }];
    if (hasReacted(list[at], me)) return list;
    list[at].users.push(me);
    list[at].count = list[at].users.length;
    return list;
  }
  if (at === -1 || !hasReacted(list[at], me)) return list;
  const users = list[at].users.filter((user) => !same(user, me));
  if (!users.length) list.splice(at, 1);
  else list[at] = { ...list[at], users, count: users.length };
  return list;
}

/** "You", "You and bob", "You, bob and carol", "alice, bob, carol and 4 others". */
export function whoReacted(users, me, shown = 3) {
  const names = [...users.filter((u) => same(u, me)).map(() => 'You'), ...users.filter((u) => !same(u, me))];
  if (names.length <= 1) return names.join('');
  if (names.length <= shown + 1) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const rest = names.length - shown;
  return `${names.slice(0, shown).join(', ')} and ${rest} others`;
}

/** The chips under a message; null when it has none. */
export function reactionBar(ctx, r, m) {
  const reactions = m.reactions || [];
  if (!reactions.length) return null;
  const me = ctx.me.username;
  return h(
    'div',
    { class: 'reactions', role: 'group', 'aria-label': 'Reactions' },
    reactions.map((reaction) => {
      tipCounter += 1;
      const tipId = `reaction-tip-${tipCounter}`;
      const mine = hasReacted(reaction, me);
      const noun = reaction.count === 1 ? 'reaction' : 'reactions';
      return h(
        'button',
        {
          type: 'button',
          class: `reaction${mine ? ' mine' : ''}`,
          'aria-pressed': String(mine),
          'aria-label': `${reaction.emoji} ${reaction.count} ${noun}`,
          'aria-describedby': tipId,
          dataset: { focusKey: `reaction ${reaction.emoji}` },
          onclick: () => react(ctx, r, m.id, reaction.emoji, !mine),
        },
        h('span', { class: 'reaction-emoji', 'aria-hidden': 'true' }, reaction.emoji),
        h('span', { class: 'reaction-count', 'aria-hidden': 'true' }, String(reaction.count)),
        h(
          'span',
          { class: 'reaction-who', role: 'tooltip', id: tipId },
          `${whoReacted(reaction.users, me)} reacted with ${reaction.emoji}`,
        ),
      );
    }),
  );
}

/**
 * Adds or takes back one's reaction: shown at once, then set to what the server answers (or
 * put back, with the reason, when it refuses).
 */
export async function react(ctx, r, id, emoji, on) {
  const current = findMessage(ctx, r, id);
  if (!current) return;
  const before = current.reactions || [];
  setReactions(ctx, r, id, toggleReaction(before, emoji, ctx.me.username, on));
  const ack = await emitAck(ctx, 'react', { id, emoji, on });
  if (ack.ok) {
    setReactions(ctx, r, id, ack.reactions);
    return;
  }
  setReactions(ctx, r, id, before);
  const why = ack.error && ack.error.code === 'invalid_payload' && on
    ? 'A message can have at most 20 different reactions.'
    : errorText(ack.error);
  toast(ctx, `Reaction not saved: ${why}`, 'error');
}

export function setReactions(ctx, r, id, reactions) {
  setMessageFields(ctx, r, id, { reactions });
}

/** `reactions` {id, room, reactions} from the server: the message shows the new list. */
export function onReactions(ctx, { id, room, reactions }) {
  const r = ctx.state.rooms.get(room);
  if (r) setReactions(ctx, r, id, reactions);
}
