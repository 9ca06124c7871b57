// The side panel beside the conversation: a thread or search results, one at a time. On wide
// screens it is a third column; below 1100 px it lies over the conversation. Esc closes it
// and focus goes back to where the person was.
import { h } from './dom.js';

export function sidePanel(ctx) {
  const { ui } = ctx;
  if (!ui.sidePanel) {
    ui.sidePanel = h('aside', { class: 'side-panel', hidden: true, 'aria-labelledby': 'side-panel-title' });
    ui.sidePanel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && !event.defaultPrevented) {
        event.preventDefault();
        closePanel(ctx);
      }
    });
    ui.shell.append(ui.sidePanel);
  }
  return ui.sidePanel;
}

/**
 * Shows `kind` ('thread' or 'search') with its header and body. `onClose` runs when this
 * content goes (closed, or replaced by another).
 */
export function showPanel(ctx, kind, { title, subtitle, closeLabel, extra = null, body, onClose = null, returnFocus = null }) {
  const { state, ui } = ctx;
  const panel = sidePanel(ctx);
  const previous = state.panel;
  if (previous && previous.onClose) previous.onClose();
  const keepFocus = previous ? previous.returnFocus : null;
  const back = returnFocus || keepFocus || (document.activeElement instanceof HTMLElement ? document.activeElement : null);
  state.panel = { kind, onClose, returnFocus: back, returnTo: describe(back) };
  const close = h(
    'button',
    { type: 'button', class: 'icon-button panel-close', 'aria-label': closeLabel, title: closeLabel, onclick: () => closePanel(ctx) },
    '✕',
  );
  panel.replaceChildren(
    h(
      'header',
      { class: 'panel-head' },
      h(
        'div',
        { class: 'panel-heading' },
        h('h2', { id: 'side-panel-title', class: 'panel-title' }, title),
        subtitle ? h('p', { class: 'panel-subtitle' }, subtitle) : null,
      ),
      extra,
      close,
    ),
    body,
  );
  panel.dataset.kind = kind;
  panel.hidden = false;
  ui.shell.classList.add('panel-open');
  return panel;
}

export function closePanel(ctx, { refocus = true } = {}) {
  const { state, ui } = ctx;
  const current = state.panel;
  if (!current) return;
  state.panel = null;
  if (current.onClose) current.onClose();
  ui.sidePanel.hidden = true;
  ui.sidePanel.replaceChildren();
  ui.shell.classList.remove('panel-open');
  if (refocus) (current.returnFocus && current.returnFocus.isConnected ? current.returnFocus : refind(ctx, current.returnTo)).focus();
}

/** Where focus came from, in words that survive the message being drawn again. */
function describe(el) {
  const li = el && el.closest('li[data-id]');
  return li && el.dataset.focusKey ? { id: li.dataset.id, key: el.dataset.focusKey } : null;
}

function refind(ctx, to) {
  const { ui } = ctx;
  const li = to && ui.messages.querySelector(`li[data-id="${to.id}"]`);
  const same = li && [...li.querySelectorAll('[data-focus-key]')].find((el) => el.dataset.focusKey === to.key);
  return same || ui.input;
}

export function panelKind(ctx) {
  return ctx.state.panel ? ctx.state.panel.kind : null;
}

/** On narrow screens the panel covers the conversation. */
export function panelCovers() {
  return typeof window.matchMedia === 'function' && window.matchMedia('(width <= 1100px)').matches;
}
