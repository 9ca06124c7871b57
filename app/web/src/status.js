// The banner, screen-reader announcements and toasts.
import { h } from './dom.js';
import { updatePendingElement } from './timelineView.js';

export function setBanner(ctx, text) {
  const { state, ui } = ctx;
  ui.banner.hidden = !text;
  ui.banner.textContent = text || '';
  ui.shell.classList.toggle('offline', Boolean(text));
  for (const r of state.rooms.values()) {
    for (const entry of r.timeline.pending.values()) updatePendingElement(ctx, entry);
  }
}

export function announce(ctx, text) {
  const { ui } = ctx;
  // Re-setting the same text is not announced again, so clear first.
  ui.announcer.textContent = '';
  setTimeout(() => {
    ui.announcer.textContent = text;
  }, 50);
}

export function toast(ctx, text, kind = 'info') {
  const { ui } = ctx;
  const item = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  ui.toasts.append(item);
  setTimeout(() => item.remove(), 6000);
}
