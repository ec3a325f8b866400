// Notifications and the tab title when a dialog opens, a question arrives, a task ends
// or a slot fails (each kind opt-in, kept in this browser), and keyboard shortcuts.
'use strict';

const KINDS = {
  dialog: 'a slot opens a dialog',
  question: 'a question arrives',
  task: 'a task ends',
  failure: 'a slot fails (error, exit)',
};
const PREFS_KEY = 'missiond.board.notify';

function prefs() {
  try { return JSON.parse(localStorage.getItem(PREFS_KEY)) || {}; } catch (_) { return {}; }
}

function setPref(kind, on) {
  const p = prefs();
  p[kind] = on;
  localStorage.setItem(PREFS_KEY, JSON.stringify(p));
}

/** Tell the person, if they asked for this kind: a browser notification, and the log. */
function notify(kind, title, body) {
  if (!prefs()[kind]) return;
  const line = el('li', { data: { kind } }, `${new Date().toLocaleTimeString()} ${title}` + (body ? ` - ${body}` : ''));
  $('notified').prepend(line);
  while ($('notified').children.length > 30) $('notified').lastChild.remove();
  if (!('Notification' in window) || Notification.permission !== 'granted') {
    line.append(' (not shown: notifications not allowed in this browser)');
    return;
  }
  const n = new Notification(title, { body: clip(body || '', 200), tag: `missiond-${kind}-${title}` });
  line.dataset.sent = 'true';
  n.onclick = () => { window.focus(); n.close(); };
}

// ---- the tab title: how many things wait for a person ----

let waiting = { slots: 0, questions: 0 };
function updateTitle() {
  const n = waiting.slots + waiting.questions;
  document.title = (n ? `(${n}) ` : '') + 'missiond board';
}

// ---- what triggers them ----

const knownQuestions = new Set();
let questionsPrimed = false;

Board.listeners.push((e) => {
  if (e.type === 'slot_state') {
    if (e.state === 'Confirming') {
      // The dialog itself is read a moment later, with the slot's card.
      notify('dialog', `${e.slotId} needs an answer`, 'a dialog opened');
    } else if (e.state === 'Error') {
      notify('failure', `${e.slotId} failed`, 'the turn ended with an error');
    } else if (e.state === 'Exited') {
      notify('failure', `${e.slotId} exited`, `the process ended (it was ${e.previous})`);
    }
  } else if (e.type === 'task_ended') {
    notify('task', `task ${e.taskId} ${e.status}`, `on ${e.slotId}`);
  }
});

Board.slotWatchers.push((slots) => {
  waiting.slots = slots.filter((s) => s.attention).length;
  updateTitle();
});

Board.questionWatchers.push((questions) => {
  for (const q of questions) {
    if (knownQuestions.has(q.questionId)) continue;
    knownQuestions.add(q.questionId);
    if (questionsPrimed) notify('question', `question${q.slotId ? ' from ' + q.slotId : ''}`, q.question);
  }
  questionsPrimed = true;
  waiting.questions = questions.length;
  updateTitle();
});

function showPermission() {
  const state = 'Notification' in window ? Notification.permission : 'unsupported';
  $('notify-permission').textContent = `browser permission: ${state}`;
  $('notify-enable').hidden = state === 'granted' || state === 'unsupported';
}

function wireNotifications() {
  const p = prefs();
  $('notify-kinds').replaceChildren(...Object.entries(KINDS).map(([kind, label]) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', checked: !!p[kind], data: { kind }, onchange: (ev) => setPref(kind, ev.target.checked) }),
    ' ' + label)));
  $('notify-enable').addEventListener('click', async () => {
    if ('Notification' in window) await Notification.requestPermission();
    showPermission();
  });
  $('notify-open').addEventListener('click', () => togglePanel('notify-panel'));
  $('help-open').addEventListener('click', () => togglePanel('help-panel'));
  showPermission();
}
Board.starters.push(wireNotifications);

function togglePanel(id, show) {
  const panel = $(id);
  panel.hidden = show === undefined ? !panel.hidden : !show;
  if (id === 'notify-panel' && !panel.hidden) showPermission();
}

// ---- keyboard shortcuts ----

const SHORTCUTS = [
  ['j / k', 'select the next / previous slot'],
  ['1 … 9', 'choose that option of the selected slot\'s dialog'],
  ['t', 'open the selected slot\'s terminal'],
  ['c', 'open the selected slot\'s conversation'],
  ['x', 'kill the selected slot (asks to confirm)'],
  ['/', 'search the conversations'],
  ['n', 'write a prompt to the selected slot'],
  ['b', 'notification settings'],
  ['?', 'this help'],
  ['Esc', 'close panels and the open conversation'],
];

function moveSelection(step) {
  const ids = Board.slots.map((s) => s.slotId);
  if (!ids.length) return;
  const at = ids.indexOf(Board.selectedSlot);
  const next = ids[(at + step + ids.length) % ids.length];
  selectSlot(next);
  const card = document.querySelector(`.slot-card[data-slot="${CSS.escape(next)}"]`);
  if (card) card.scrollIntoView({ block: 'nearest' });
}

function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const t = ev.target;
  // Typing somewhere (a field, a terminal in typing mode) is never a shortcut.
  if (t.closest && (t.closest('input, textarea, select, [contenteditable], .xterm'))) {
    if (ev.key === 'Escape' && t.blur && !t.closest('.xterm')) t.blur();
    return;
  }
  const slot = Board.selectedSlot;
  const full = Board.access === 'full';
  switch (ev.key) {
    case 'j': moveSelection(1); break;
    case 'k': moveSelection(-1); break;
    case 't': if (slot) watchSlot(slot); break;
    case 'c': {
      const s = Board.slots.find((x) => x.slotId === slot);
      if (s && s.sessionId) act(null, () => openConversation(s.sessionId));
      break;
    }
    case 'x': {
      const button = slot && document.querySelector(`.slot-card[data-slot="${CSS.escape(slot)}"] button.kill`);
      if (button && full) confirmKill(button, slot);
      break;
    }
    case '/': $('convo-search').focus(); break;
    case 'n':
      if (!full) break;
      if (slot) $('send-slot').value = slot;
      $('send-text').focus();
      break;
    case 'b': togglePanel('notify-panel'); break;
    case '?': togglePanel('help-panel'); break;
    case 'Escape':
      togglePanel('notify-panel', false);
      togglePanel('help-panel', false);
      $('convo-view').hidden = true;
      break;
    default:
      if (/^[1-9]$/.test(ev.key) && slot && full) { chooseOption(slot, ev.key); break; }
      return;
  }
  ev.preventDefault();
}

Board.starters.push(() => {
  $('help-keys').replaceChildren(...SHORTCUTS.flatMap(([k, what]) => [el('dt', {}, el('kbd', {}, k)), el('dd', {}, what)]));
  document.addEventListener('keydown', onKey);
});
