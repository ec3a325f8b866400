// The missiond board: reads the daemon through POST /rpc and follows it live through the
// /events WebSocket. Everything agents wrote is untrusted: it only ever goes into the
// page as text (el() and textContent), never as markup.
'use strict';

const TOKEN = new URLSearchParams(location.search).get('token') || '';
const $ = (id) => document.getElementById(id);

// ---- DOM helpers (text only) ----

/** An element with properties and children; strings become text nodes. */
function el(tag, props, ...kids) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'class') node.className = value;
    else if (key === 'data') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const kid of kids.flat()) {
    if (kid !== null && kid !== undefined) node.append(kid instanceof Node ? kid : String(kid));
  }
  return node;
}

function clip(text, max) {
  const s = text == null ? '' : String(text);
  return s.length > max ? s.slice(0, max) + '…' : s;
}

function when(stamp) {
  if (!stamp) return '';
  const d = new Date(stamp);
  return isNaN(d) ? String(stamp) : d.toLocaleString();
}

function showError(message) {
  const list = $('errors');
  const item = el('li', {}, new Date().toLocaleTimeString() + ' ', message, ' ',
    el('button', { type: 'button', onclick: () => item.remove() }, 'dismiss'));
  list.prepend(item);
  while (list.children.length > 5) list.lastChild.remove();
}

// ---- the daemon ----

/** Call a catalogue tool; throws an Error naming the tool and the daemon's message. */
async function rpc(method, params) {
  let response;
  try {
    response = await fetch('/rpc', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + TOKEN },
      body: JSON.stringify({ method, params: params || {} }),
    });
  } catch (e) {
    throw new Error(`${method}: the daemon cannot be reached (${e.message})`);
  }
  if (response.status === 401) {
    throw new Error(`${method}: the token was refused; the daemon restarted? Run \`missiond board\` again.`);
  }
  let body;
  try { body = await response.json(); } catch (_) { body = null; }
  if (body && body.error) {
    const err = new Error(`${method}: ${body.error.message}`);
    err.code = body.error.code;
    throw err;
  }
  if (!response.ok || !body) throw new Error(`${method}: HTTP ${response.status}`);
  return body.result;
}

/** Run an action from a button: errors are shown, the button is off meanwhile. */
async function act(button, work) {
  if (button) button.disabled = true;
  try { return await work(); } catch (e) { showError(e.message); } finally { if (button) button.disabled = false; }
}

// ---- refreshing, debounced ----

const pending = new Map();
function soon(name, fn) {
  if (pending.has(name)) return;
  pending.set(name, setTimeout(async () => {
    pending.delete(name);
    try { await fn(); } catch (e) { showError(e.message); }
  }, 150));
}

let slotIds = [];
let selectedSlot = null;
const seenTasks = [];

function noteTask(taskId) {
  if (!taskId || seenTasks.includes(taskId)) return;
  seenTasks.unshift(taskId);
  if (seenTasks.length > 20) seenTasks.length = 20;
}

async function refreshHealth() {
  const h = await rpc('mission_health');
  // Remote slots' hosts: reachable or why not, the last round trip.
  const hosts = Object.entries(h.hosts || {}).map(([name, x]) => x.reachable
    ? `${name} up${x.latencyMs != null ? ` ${x.latencyMs.toFixed(0)} ms` : ''}`
    : `${name} unreachable${x.error ? ': ' + x.error : ''}`);
  $('daemon').textContent = `v${h.version}, pid ${h.pid}, ${h.slotsRunning}/${h.slotsConfigured} slots running` +
    (hosts.length ? ' - hosts: ' + hosts.join(', ') : '') +
    (h.warnings.length ? ' - ' + h.warnings.join('; ') : '');
}

async function refreshSlots() {
  const { agents } = await rpc('mission_agents');
  const dialogs = new Map();
  await Promise.all(agents.filter((a) => a.state === 'Confirming').map(async (a) => {
    try { dialogs.set(a.slotId, (await rpc('mission_pty_status', { slotId: a.slotId })).dialog); } catch (e) { showError(e.message); }
  }));
  slotIds = agents.map((a) => a.slotId);
  $('slots').replaceChildren(...agents.map((a) => slotRow(a, dialogs.get(a.slotId))));
  for (const select of [$('send-slot'), $('submit-slot')]) fillSlots(select);
}

function fillSlots(select) {
  const keep = select.value;
  const any = select.id === 'submit-slot' ? [el('option', { value: '' }, '(any)')] : [];
  select.replaceChildren(...any, ...slotIds.map((id) => el('option', { value: id }, id)));
  if (slotIds.includes(keep)) select.value = keep;
}

function slotRow(a, dialog) {
  const id = a.slotId;
  return el('tr', { data: { slot: id } },
    el('td', { class: 'id' }, id),
    el('td', {}, a.role),
    el('td', { class: 'state state-' + a.state }, a.state),
    el('td', {}, when(a.since)),
    el('td', {}, a.pid == null ? '' : a.pid),
    el('td', { class: 'dialog' }, dialog ? dialogView(id, dialog) : ''),
    el('td', {},
      el('button', { type: 'button', onclick: (ev) => act(ev.target, async () => {
        const r = await rpc('mission_pty_spawn', { slotId: id });
        if (r.dialog) showError(`${id}: a start-up dialog waits: ${r.dialog.title}`);
        soon('slots', refreshSlots);
      }) }, 'spawn'),
      el('button', { type: 'button', onclick: (ev) => act(ev.target, async () => {
        await rpc('mission_pty_kill', { slotId: id });
        soon('slots', refreshSlots);
      }) }, 'kill'),
      el('button', { type: 'button', onclick: () => { selectedSlot = id; soon('screen', refreshScreen); } }, 'screen')));
}

function dialogView(slotId, d) {
  const answer = (response) => (ev) => act(ev.target, async () => {
    const r = await rpc('mission_pty_confirm', { slotId, response });
    showError(`${slotId}: chose "${r.chosen.label}", now ${r.state}`);
    soon('slots', refreshSlots);
  });
  return el('div', {},
    el('div', {}, el('b', {}, d.title), ' ', d.question),
    d.command ? el('code', {}, d.command) : '',
    el('div', {},
      el('button', { type: 'button', onclick: answer('yes') }, 'yes'),
      el('button', { type: 'button', onclick: answer('no') }, 'no')));
}

async function refreshScreen() {
  if (!selectedSlot) return;
  const slot = selectedSlot;
  try {
    const r = await rpc('mission_pty_screen', { slotId: slot });
    if (slot !== selectedSlot) return;
    $('screen-title').textContent = `${slot}: ${r.state} (${r.cols}x${r.rows})`;
    $('screen').textContent = r.screen;
  } catch (e) {
    if (e.code !== -32002) throw e; // slot_not_running: say so in place
    $('screen-title').textContent = `${slot}: not running`;
    $('screen').textContent = '';
  }
}

function taskRow(t) {
  return el('tr', { data: { task: t.taskId } },
    el('td', {}, t.taskId),
    el('td', {}, t.status),
    el('td', {}, t.slotId || t.requestedSlotId || t.requestedRole || ''),
    el('td', { class: 'clip' }, clip(t.prompt, 200)),
    el('td', { class: 'clip' }, clip(t.error || t.result || '', 400)));
}

async function refreshTasks() {
  const s = await rpc('mission_status', { recent: 10 });
  const c = s.counts;
  $('task-counts').textContent =
    `${c.queued} queued, ${c.running} running, ${c.done} done, ${c.failed} failed, ${c.cancelled} cancelled`;
  const listed = [...s.running, ...s.queued, ...s.recent];
  // Tasks this page saw (events, submits) that the overview no longer lists.
  const others = seenTasks.filter((id) => !listed.some((t) => t.taskId === id));
  if (others.length) listed.push(...(await rpc('mission_task', { taskIds: others })).tasks);
  $('tasks').replaceChildren(...listed.map(taskRow));
}

async function refreshInbox() {
  const r = await rpc('mission_inbox', { markRead: false, limit: 50 });
  $('inbox-unread').textContent = `${r.unread} unread (shown, not marked read)`;
  $('inbox').replaceChildren(...r.messages.map((m) => el('li', { data: { message: m.id } },
    el('span', { class: 'muted' }, `#${m.id} ${m.kind} ${m.slotId || ''} ${m.taskId || ''} ${when(m.createdAt)}`),
    el('div', { class: 'text' }, clip(m.text, 1000)))));
}

async function refreshBoard() {
  const r = await rpc('mission_board_list', { limit: 100 });
  $('board').replaceChildren(...r.tasks.map((t) => el('li', { class: t.status, data: { board: t.boardTaskId } },
    el('input', { type: 'checkbox', checked: t.status === 'done', title: 'toggle done',
      onchange: (ev) => act(ev.target, async () => {
        await rpc('mission_board_toggle', { boardTaskId: t.boardTaskId });
        soon('board', refreshBoard);
      }) }),
    ' ', el('span', { class: 'title' }, t.title), ' ',
    el('span', { class: 'muted' }, `${t.boardTaskId} ${t.status} ${t.priority}` +
      (t.assignee ? ' @' + t.assignee : '') + (t.tags.length ? ' #' + t.tags.join(' #') : '')))));
}

async function refreshQuestions() {
  const r = await rpc('mission_question_list', {});
  $('question-counts').textContent = `${r.counts.pending} pending`;
  $('questions').replaceChildren(...r.questions.map(questionCard));
}

function questionCard(q) {
  const answer = (text, button) => act(button, async () => {
    if (!text.trim()) throw new Error('type an answer first');
    await rpc('mission_question_answer', { questionId: q.questionId, answer: text });
    soon('questions', refreshQuestions);
  });
  const input = el('input', { placeholder: 'answer' });
  return el('li', { data: { question: q.questionId } },
    el('div', { class: 'text question' }, q.question),
    q.context ? el('div', { class: 'text muted' }, clip(q.context, 1000)) : '',
    el('div', { class: 'muted' }, `${q.questionId} ${q.priority}` + (q.slotId ? ' from ' + q.slotId : '') +
      (q.taskId ? ' on ' + q.taskId : '') + ' ' + when(q.createdAt)),
    el('div', {}, ...q.options.map((o) => el('button', { type: 'button', onclick: (ev) => answer(o, ev.target) }, o)),
      input, el('button', { type: 'button', onclick: (ev) => answer(input.value, ev.target) }, 'answer')));
}

async function refreshConversations() {
  const r = await rpc('mission_conversation_list', { limit: 10 });
  $('conversations').replaceChildren(...r.conversations.map((c) => el('li', {},
    el('span', { class: 'muted' }, `${c.slotId} ${c.sessionId} ${c.messageCount} messages, last ${when(c.lastMessageAt)}`),
    c.firstPrompt ? el('div', { class: 'text' }, clip(c.firstPrompt, 300)) : '')));
}

const REFRESH = { health: refreshHealth, slots: refreshSlots, tasks: refreshTasks, inbox: refreshInbox,
  board: refreshBoard, questions: refreshQuestions, conversations: refreshConversations, screen: refreshScreen };

async function refreshAll() {
  await Promise.all(Object.values(REFRESH).map((fn) => fn().catch((e) => showError(e.message))));
}

// ---- live events ----

function logEvent(text) {
  const log = $('events');
  log.prepend(el('li', {}, new Date().toLocaleTimeString() + ' ' + text));
  while (log.children.length > 50) log.lastChild.remove();
}

function onEvent(e) {
  switch (e.type) {
    case 'subscribed':
      setConn(true);
      refreshAll();
      return;
    case 'lagged':
      logEvent(`missed ${e.missed} events; reloading`);
      refreshAll();
      return;
    case 'slot_state': {
      logEvent(`slot_state ${e.slotId} ${e.previous} -> ${e.state}`);
      const cell = document.querySelector(`tr[data-slot="${CSS.escape(e.slotId)}"] .state`);
      if (cell) { cell.textContent = e.state; cell.className = 'state state-' + e.state; }
      soon('slots', refreshSlots);
      soon('tasks', refreshTasks);
      soon('health', refreshHealth);
      if (e.slotId === selectedSlot) soon('screen', refreshScreen);
      return;
    }
    default:
      if (String(e.type).startsWith('task_')) {
        logEvent(`${e.type} ${e.taskId}` + (e.slotId ? ' on ' + e.slotId : '') + (e.status ? ' ' + e.status : ''));
        noteTask(e.taskId);
        soon('tasks', refreshTasks);
        soon('inbox', refreshInbox);
        soon('conversations', refreshConversations);
      }
  }
}

function setConn(on, text) {
  const c = $('conn');
  c.className = 'conn ' + (on ? 'on' : 'off');
  c.textContent = text || (on ? 'live' : 'not connected');
}

let retry = 500;
function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/events?token=${encodeURIComponent(TOKEN)}`);
  ws.onmessage = (m) => {
    retry = 500;
    let event;
    try { event = JSON.parse(m.data); } catch (_) { return; }
    onEvent(event);
  };
  ws.onclose = () => {
    setConn(false, `disconnected; retrying in ${Math.round(retry / 1000)}s`);
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 10000);
  };
}

// ---- forms ----

function wireForms() {
  $('send-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const button = ev.target.querySelector('button');
    const slotId = $('send-slot').value;
    const message = $('send-text').value;
    const timeoutMs = Math.max(1, Number($('send-timeout').value) || 300) * 1000;
    $('send-result').replaceChildren(el('span', { class: 'muted' }, `waiting for ${slotId}…`));
    act(button, async () => {
      try {
        const r = await rpc('mission_pty_send', { slotId, message, timeoutMs });
        $('send-result').replaceChildren(
          el('div', { class: 'muted' }, `${slotId}: ${r.state} in ${r.durationMs} ms` +
            (r.toolsUsed.length ? ', tools: ' + r.toolsUsed.map((t) => t.name).join(', ') : '')),
          r.dialog ? el('div', {}, `dialog: ${r.dialog.title} - ${r.dialog.question}`) : '',
          el('pre', { class: 'answer' }, r.answer));
      } catch (e) {
        $('send-result').replaceChildren();
        throw e;
      }
    });
  });
  $('submit-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const params = { prompt: $('submit-prompt').value, priority: Number($('submit-priority').value) || 0 };
    if ($('submit-slot').value) params.slotId = $('submit-slot').value;
    if ($('submit-role').value.trim()) params.role = $('submit-role').value.trim();
    act(ev.target.querySelector('button'), async () => {
      const r = await rpc('mission_submit', params);
      noteTask(r.taskId);
      $('submit-result').textContent = `${r.taskId}: ${r.status}` +
        (r.queuePosition != null ? `, ${r.queuePosition} ahead` : '') + (r.slotId ? ` on ${r.slotId}` : '');
      soon('tasks', refreshTasks);
    });
  });
  $('board-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(ev.target.querySelector('button'), async () => {
      await rpc('mission_board_create', { title: $('board-title').value, priority: $('board-priority').value });
      $('board-title').value = '';
      soon('board', refreshBoard);
    });
  });
}

function start() {
  if (!TOKEN) {
    $('notice').hidden = false;
    return;
  }
  $('app').hidden = false;
  wireForms();
  refreshAll();
  connect();
  // What has no event (board, questions, inbox) is re-read now and then; the screen
  // of the chosen slot more often, since output alone sends no event.
  setInterval(() => { if (!document.hidden) refreshAll(); }, 15000);
  setInterval(() => { if (!document.hidden && selectedSlot) soon('screen', refreshScreen); }, 3000);
}

start();
