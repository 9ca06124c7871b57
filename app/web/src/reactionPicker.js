// The reaction picker: a small dialog of common emoji next to a message's "Add reaction"
// button. From the keyboard: the arrows move between emoji, Enter or Space picks, Esc closes
// and focus returns to the button.
import { h } from './dom.js';
import { icon } from './icons.js';
import { react } from './reactions.js';

export const PICKER_EMOJI = [
  ['👍', 'thumbs up'],
  ['❤️', 'heart'],
  ['😂', 'laughing'],
  ['🎉', 'party'],
  ['😮', 'surprised'],
  ['😢', 'sad'],
  ['🙏', 'thank you'],
  ['👀', 'eyes'],
  ['✅', 'done'],
  ['🔥', 'fire'],
  ['🚀', 'rocket'],
  ['💯', 'hundred'],
];
const COLUMNS = 6;

let open = null; // {el, trigger, messageId, cleanup}

/** The "Add reaction" button of a message's actions. */
export function reactButton(ctx, r, m) {
  const button = h(
    'button',
    {
      type: 'button',
      class: 'icon-button',
      'aria-label': 'Add reaction',
      title: 'Add reaction',
      'aria-haspopup': 'dialog',
      'aria-expanded': 'false',
      dataset: { focusKey: 'add reaction' },
    },
    icon('smile'),
  );
  button.addEventListener('click', () => {
    if (open && open.trigger === button) closePicker({ refocus: true });
    else openPicker(ctx, r, m.id, button);
  });
  return button;
}

export function closePicker({ refocus = false } = {}) {
  if (!open) return;
  const { el, trigger, scope, messageId, cleanup } = open;
  open = null;
  cleanup();
  el.remove();
  trigger.setAttribute('aria-expanded', 'false');
  if (!refocus) return;
  // The message may have been drawn again meanwhile: focus its button as it is now.
  const target = trigger.isConnected
    ? trigger
    : (scope && scope.isConnected ? scope : document).querySelector(`li[data-id="${messageId}"] button[aria-label="Add reaction"]`);
  if (target) target.focus();
}

function openPicker(ctx, r, messageId, trigger) {
  closePicker();
  const buttons = PICKER_EMOJI.map(([emoji, name], i) =>
    h(
      'button',
      {
        type: 'button',
        class: 'picker-emoji',
        'aria-label': name,
        title: name,
        tabindex: i === 0 ? '0' : '-1',
        onclick: () => {
          closePicker({ refocus: true });
          react(ctx, r, messageId, emoji, true);
        },
      },
      emoji,
    ),
  );
  const el = h(
    'div',
    { class: 'reaction-picker', role: 'dialog', 'aria-label': 'Add a reaction' },
    h('div', { class: 'picker-grid' }, buttons),
  );
  el.addEventListener('keydown', (event) => {
    const at = buttons.indexOf(document.activeElement);
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS };
    let next = null;
    if (event.key in moves) next = (at + moves[event.key] + buttons.length) % buttons.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = buttons.length - 1;
    else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      closePicker({ refocus: true });
      return;
    } else if (event.key === 'Tab') {
      closePicker({ refocus: true });
      event.preventDefault();
      return;
    }
    if (next === null) return;
    event.preventDefault();
    buttons.forEach((b, i) => b.setAttribute('tabindex', i === next ? '0' : '-1'));
    buttons[next].focus();
  });
  ctx.ui.shell.append(el);
  place(el, trigger);
  const outside = (event) => {
    if (!el.contains(event.target) && !trigger.contains(event.target)) closePicker();
  };
  // Fixed in the window, it would part from its message when the list scrolls: close it then.
  const scrolled = (event) => {
    if (!el.contains(event.target)) closePicker();
  };
  document.addEventListener('mousedown', outside, true);
  document.addEventListener('scroll', scrolled, true);
  open = {
    el,
    trigger,
    scope: trigger.closest('ol'), // the room's list, the thread's root or its replies
    messageId,
    cleanup: () => {
      document.removeEventListener('mousedown', outside, true);
      document.removeEventListener('scroll', scrolled, true);
    },
  };
  trigger.setAttribute('aria-expanded', 'true');
  buttons[0].focus();
}

/** Above the button (below it when there is no room above), kept inside the window. */
function place(el, trigger) {
  const at = trigger.getBoundingClientRect();
  const box = el.getBoundingClientRect();
  const left = Math.max(8, Math.min(at.right - box.width, window.innerWidth - box.width - 8));
  const above = at.top - box.height - 6;
  const top = above >= 8 ? above : Math.min(at.bottom + 6, window.innerHeight - box.height - 8);
  el.style.left = `${left}px`;
  el.style.top = `${top}px`;
}
