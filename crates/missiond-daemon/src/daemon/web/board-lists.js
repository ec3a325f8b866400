// Tasks, questions, the mission board and the inbox, each with its filters; the forms
// that send a prompt, queue a task, add a board task and answer a question.
'use strict';

/** Tasks this page saw (events, submits) that the overview may no longer list. */
const seenTasks = [];
function noteTask(taskId) {
  if (!taskId || seenTasks.includes(taskId)) return;
  seenTasks.unshift(taskId);
  if (seenTasks.length > 20) seenTasks.length = 20;
}

/** Whether `text` holds what the filter box `id` says (case-insensitive). */
function matches(id, ...texts) {
  const want = $(id).value.trim().toLowerCase();
  return !want || texts.some((t) => String(t || '').toLowerCase().includes(want));
}

// ---- tasks ----

let tasksShown = [];

function taskRow(t) {
  return el('tr', { class: 'task-' + t.status, data: { task: t.taskId } },
    el('td', {}, t.taskId),
    el('td', { class: 'status' }, t.status),
    el('td', {}, t.slotId || t.requestedSlotId || t.requestedRole || ''),
    el('td', { class: 'clip' }, clip(t.prompt, 200)),
    el('td', { class: 'clip' }, clip(t.error || t.result || '', 400)));
}

function renderTasks() {
  const status = $('task-filter').value;
  const rows = tasksShown.filter((t) => (!status || t.status === status) &&
    matches('task-text', t.prompt, t.result, t.error, t.slotId, t.taskId));
  $('tasks').replaceChildren(...rows.map(taskRow));
}

async function refreshTasks() {
  const s = await rpc('mission_status', { recent: 50 });
  const c = s.counts;
  $('task-counts').textContent =
    `${c.queued} queued, ${c.running} running, ${c.done} done, ${c.failed} failed, ${c.cancelled} cancelled`;
  const listed = [...s.running, ...s.queued, ...s.recent];
  const others = seenTasks.filter((id) => !listed.some((t) => t.taskId === id));
  if (others.length) listed.push(...(await rpc('mission_task', { taskIds: others })).tasks);
  tasksShown = listed;
  renderTasks();
}
Board.refreshers.tasks = refreshTasks;

// ---- questions ----

function questionCard(q) {
  const answer = (text, button) => act(button, async () => {
    if (!text.trim()) throw new Error('type an answer first');
    await rpc('mission_question_answer', { questionId: q.questionId, answer: text });
    showDone(`answered ${q.questionId}: ${clip(text, 80)}`);
    soon('questions');
  });
  const input = el('input', { placeholder: 'answer' });
  const pendingQ = q.status === 'pending';
  return el('li', { data: { question: q.questionId } },
    el('div', { class: 'text question' }, q.question),
    q.context ? el('div', { class: 'text muted' }, clip(q.context, 1000)) : null,
    el('div', { class: 'muted' }, `${q.questionId} ${q.status || ''} ${q.priority}` + (q.slotId ? ' from ' + q.slotId : '') +
      (q.taskId ? ' on ' + q.taskId : '') + ' ' + when(q.createdAt)),
    q.answer ? el('div', { class: 'text' }, el('span', { class: 'muted' }, 'answer: '), q.answer) : null,
    pendingQ && Board.access === 'full' ? el('form', { class: 'acts', onsubmit: (ev) => { ev.preventDefault(); answer(input.value, ev.target.querySelector('button[type=submit]')); } },
      ...q.options.map((o) => el('button', { type: 'button', onclick: (ev) => answer(o, ev.target) }, o)),
      input, el('button', { type: 'submit' }, 'answer')) : null);
}

async function refreshQuestions() {
  const [pendingOnes, shown] = await Promise.all([
    rpc('mission_question_list', {}),
    $('question-filter').value === 'pending' ? null : rpc('mission_question_list', { status: $('question-filter').value }),
  ]);
  Board.questions = pendingOnes.questions;
  $('question-counts').textContent = `${pendingOnes.counts.pending} pending`;
  const list = (shown || pendingOnes).questions;
  // Do not rebuild under a person typing an answer.
  const box = $('questions');
  const sig = JSON.stringify(list.map((q) => [q.questionId, q.status]));
  if (box.dataset.sig === sig && box.contains(document.activeElement)) return;
  box.dataset.sig = sig;
  box.replaceChildren(...list.map(questionCard));
  for (const fn of Board.questionWatchers) fn(Board.questions);
}
Board.refreshers.questions = refreshQuestions;
/** Functions called with the pending questions after each refresh. */
Board.questionWatchers = [];

// ---- the mission board ----

async function refreshBoard() {
  const status = $('board-filter').value;
  const r = await rpc('mission_board_list', { limit: 200, ...(status ? { status } : {}) });
  const tasks = r.tasks.filter((t) => matches('board-text', t.title, t.assignee, t.tags.join(' '), t.boardTaskId));
  $('board').replaceChildren(...tasks.map((t) => el('li', { class: t.status, data: { board: t.boardTaskId } },
    el('input', { type: 'checkbox', checked: t.status === 'done', title: 'toggle done', disabled: Board.access !== 'full',
      onchange: (ev) => act(ev.target, async () => {
        await rpc('mission_board_toggle', { boardTaskId: t.boardTaskId });
        soon('board');
      }) }),
    ' ', el('span', { class: 'title' }, t.title), ' ',
    el('span', { class: 'muted' }, `${t.boardTaskId} ${t.status} ${t.priority}` +
      (t.assignee ? ' @' + t.assignee : '') + (t.tags.length ? ' #' + t.tags.join(' #') : '')))));
}
Board.refreshers.board = refreshBoard;

// ---- the inbox ----

async function refreshInbox() {
  const r = await rpc('mission_inbox', { markRead: false, limit: 100 });
  $('inbox-unread').textContent = `${r.unread} unread (shown, not marked read)`;
  const messages = r.messages.filter((m) => matches('inbox-text', m.text, m.kind, m.slotId, m.taskId));
  $('inbox').replaceChildren(...messages.map((m) => el('li', { data: { message: m.id } },
    el('span', { class: 'muted' }, `#${m.id} ${m.kind} ${m.slotId || ''} ${m.taskId || ''} ${when(m.createdAt)}`),
    el('div', { class: 'text' }, clip(m.text, 1000)))));
}
Board.refreshers.inbox = refreshInbox;

// ---- forms ----

function wireForms() {
  $('task-filter').addEventListener('change', renderTasks);
  $('task-text').addEventListener('input', renderTasks);
  $('question-filter').addEventListener('change', () => soon('questions', 0));
  $('board-filter').addEventListener('change', () => soon('board', 0));
  $('board-text').addEventListener('input', () => soon('board'));
  $('inbox-text').addEventListener('input', () => soon('inbox'));
  Board.slotWatchers.push(() => {
    fillSlots($('send-slot'));
    fillSlots($('submit-slot'), [el('option', { value: '' }, '(any)')]);
  });
  if (Board.access !== 'full') {
    for (const id of ['send-section', 'submit-section']) $(id).hidden = true;
    $('board-form').hidden = true;
    return;
  }
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
          r.dialog ? el('div', {}, `dialog: ${r.dialog.title} - ${r.dialog.question}`) : null,
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
      showDone(`queued ${r.taskId}`);
      soon('tasks');
    });
  });
  $('board-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(ev.target.querySelector('button'), async () => {
      await rpc('mission_board_create', { title: $('board-title').value, priority: $('board-priority').value });
      showDone(`added "${clip($('board-title').value, 60)}"`);
      $('board-title').value = '';
      soon('board');
    });
  });
}
Board.starters.push(wireForms);

Board.listeners.push((e) => {
  if (String(e.type).startsWith('task_')) noteTask(e.taskId);
});
