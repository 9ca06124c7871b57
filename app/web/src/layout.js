// The signed-in view's elements, built once; `ui` names every element the modules update.
import { h } from './dom.js';
import { icon } from './icons.js';
import { buildDirectMessages } from './dms.js';
import { buildMembers } from './members.js';

/** The rooms sidebar: the room lists, the new-room form and the signed-in user. */
function buildSidebar(ui, me) {
  ui.logoutButton = h('button', { type: 'button', class: 'btn btn-ghost btn-small' }, 'Sign out');
  ui.roomList = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-heading' });
  ui.otherList = h('ul', { class: 'room-list', 'aria-labelledby': 'others-heading' });
  ui.emptyRooms = h('p', { class: 'muted small' }, 'You are not in any room yet.');
  ui.otherSection = h(
    'section',
    {},
    h('h2', { id: 'others-heading', class: 'section-title' }, 'Public rooms to join'),
    ui.otherList,
  );
  ui.newRoomName = h('input', {
    id: 'new-room-name',
    name: 'name',
    autocomplete: 'off',
    maxlength: 64,
    placeholder: 'e.g. design-team',
    required: true,
  });
  ui.newRoomPrivate = h('input', { id: 'new-room-private', type: 'checkbox', name: 'private' });
  ui.newRoomError = h('p', { class: 'form-error', role: 'alert' });
  ui.newRoomForm = h(
    'form',
    { class: 'new-room', 'aria-label': 'Create a room' },
    h('label', { for: 'new-room-name' }, 'Room name'),
    ui.newRoomName,
    h(
      'label',
      { class: 'checkbox', for: 'new-room-private' },
      ui.newRoomPrivate,
      ' Private (only people you add)',
    ),
    ui.newRoomError,
    h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Create room'),
  );
  ui.newRoomDetails = h(
    'details',
    { class: 'new-room-details' },
    h('summary', {}, icon('plus'), ' New room'),
    ui.newRoomForm,
  );

  const sidebar = h(
    'nav',
    { class: 'sidebar', 'aria-label': 'Rooms' },
    (ui.sidebarHead = h(
      'div',
      { class: 'sidebar-head' },
      h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }), 'Chat'),
    )),
    h(
      'div',
      { class: 'sidebar-scroll' },
      h('h2', { id: 'rooms-heading', class: 'section-title' }, 'Your rooms'),
      ui.roomList,
      ui.emptyRooms,
      buildDirectMessages(ui),
      ui.otherSection,
      ui.newRoomDetails,
    ),
    h(
      'div',
      { class: 'me' },
      (ui.meStatus = h('span', { class: 'status-dot', 'aria-hidden': 'true' })),
      h('span', { class: 'me-name', 'aria-label': `Signed in as ${me.username}` }, me.username),
      ui.logoutButton,
    ),
  );
  return sidebar;
}

/** The open room's header: its name, who is online, and the owner's "add people" form. */
function buildRoomHeader(ui) {
  ui.menuButton = h(
    'button',
    { type: 'button', class: 'icon-button menu-button', 'aria-label': 'Show rooms' },
    icon('menu'),
  );
  ui.roomTitle = h('h1', { class: 'room-title' });
  ui.roomMeta = h('p', { class: 'room-meta' });
  ui.onlineCount = h('span', {});
  ui.onlineToggle = h(
    'button',
    { type: 'button', class: 'btn btn-ghost btn-small online-toggle', 'aria-expanded': 'false' },
    h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
    ui.onlineCount,
  );
  ui.addMemberButton = h('button', { type: 'button', class: 'btn btn-small', hidden: true }, 'Add people');
  ui.leaveButton = h('button', { type: 'button', class: 'btn btn-ghost btn-small' }, 'Leave');
  ui.memberName = h('input', { id: 'member-name', autocomplete: 'off', required: true });
  ui.memberError = h('p', { class: 'form-error', role: 'alert' });
  ui.memberCancel = h('button', { type: 'button', class: 'btn btn-small' }, 'Cancel');
  ui.memberForm = h(
    'form',
    { class: 'member-form' },
    h('label', { for: 'member-name' }, 'Add someone to this private room'),
    h(
      'div',
      { class: 'inline-fields' },
      ui.memberName,
      h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, 'Add'),
      ui.memberCancel,
    ),
    ui.memberError,
  );
  ui.memberDialog = h(
    'div',
    { class: 'member-dialog', hidden: true, role: 'dialog', 'aria-label': 'Add people' },
    ui.memberForm,
  );
  buildMembers(ui);
}

/** The message list, the jump button and the online panel (returned). */
function buildTimeline(ui) {
  ui.history = h('div', { class: 'history-status', hidden: true });
  ui.messages = h('ol', { class: 'messages', 'aria-label': 'Messages' });
  ui.pending = h('ol', { class: 'messages pending-list', 'aria-label': 'Messages being sent' });
  ui.timeline = h(
    'section',
    { class: 'timeline', tabindex: '0', 'aria-label': 'Messages' },
    h('div', { class: 'timeline-inner' }, ui.history, ui.messages, ui.pending),
  );
  ui.jumpButton = h('button', { type: 'button', class: 'jump', hidden: true }, 'New messages ↓');
  ui.onlineHeading = h('h2', { class: 'section-title', id: 'online-heading' }, 'Online');
  ui.onlineList = h('ul', { class: 'online-list', 'aria-labelledby': 'online-heading' });
  const onlinePanel = h('aside', { class: 'online-panel', 'aria-labelledby': 'online-heading' }, ui.onlineHeading, ui.onlineList);
  return onlinePanel;
}

/** The composer: the text box, the attach button, the counter and the upload area. */
function buildComposer(ui) {
  ui.typing = h('div', { class: 'typing', 'aria-live': 'polite' });
  ui.fileInput = h('input', {
    type: 'file',
    class: 'sr-only',
    id: 'file-input',
    tabindex: '-1',
    'aria-hidden': 'true',
  });
  ui.attachButton = h(
    'button',
    { type: 'button', class: 'icon-button attach', 'aria-label': 'Attach a file', title: 'Attach a file' },
    icon('attach'),
  );
  ui.input = h('textarea', {
    id: 'composer-input',
    class: 'composer-input',
    rows: 1,
    'aria-label': 'Message',
    'aria-describedby': 'composer-help',
  });
  ui.sendButton = h('button', { type: 'submit', class: 'btn btn-primary send', 'aria-label': 'Send message' }, 'Send');
  ui.counter = h('span', { class: 'counter', hidden: true, 'aria-live': 'polite' });
  ui.uploadArea = h('div', { class: 'upload-area', hidden: true });
  ui.composerError = h('p', { class: 'form-error composer-error', role: 'alert' });
  ui.composer = h(
    'form',
    { class: 'composer', 'aria-label': 'Send a message' },
    ui.uploadArea,
    h('div', { class: 'composer-box' }, ui.attachButton, ui.fileInput, ui.input, ui.sendButton),
    h(
      'div',
      { class: 'composer-foot' },
      ui.composerError,
      h(
        'span',
        { class: 'muted small', id: 'composer-help' },
        'Enter to send · Shift+Enter for a new line · ↑ to edit your last message',
      ),
      ui.counter,
    ),
  );
}

export function buildLayout(me) {
  const ui = {};
  ui.banner = h('div', { class: 'banner', role: 'status', hidden: true });
  ui.announcer = h('div', { class: 'sr-only', 'aria-live': 'polite', 'aria-atomic': 'true' });
  ui.toasts = h('div', { class: 'toasts', 'aria-live': 'polite' });
  const sidebar = buildSidebar(ui, me);
  buildRoomHeader(ui);
  const onlinePanel = buildTimeline(ui);
  buildComposer(ui);

  ui.roomView = h(
    'main',
    { class: 'room-view', hidden: true },
    h(
      'header',
      { class: 'room-header' },
      ui.menuButton,
      h('div', { class: 'room-heading' }, ui.roomTitle, ui.roomMeta),
      h('div', { class: 'room-actions' }, ui.onlineToggle, ui.membersButton, ui.addMemberButton, ui.leaveButton),
      ui.memberDialog,
      ui.membersPanel,
    ),
    h(
      'div',
      { class: 'room-body' },
      h('div', { class: 'timeline-wrap' }, ui.timeline, ui.jumpButton, ui.typing, ui.composer),
      onlinePanel,
    ),
    h('div', { class: 'drop-hint', 'aria-hidden': 'true' }, 'Drop the file to attach it'),
  );
  ui.emptyView = h(
    'main',
    { class: 'empty-view' },
    h(
      'button',
      {
        type: 'button',
        class: 'icon-button menu-button',
        'aria-label': 'Show rooms',
        onclick: () => ui.shell.classList.toggle('show-sidebar'),
      },
      icon('menu'),
    ),
    h('div', { class: 'empty-card' }, h('h1', {}, `Welcome, ${me.username}`), h('p', {}, 'Pick a room on the left, or create one to start talking.')),
  );

  ui.shell = h('div', { class: 'shell' }, ui.banner, sidebar, ui.roomView, ui.emptyView, ui.announcer, ui.toasts);
  return ui;
}
