// Slots at a glance: one card per slot with its state and for how long, the current
// tool or dialog, the tokens and cost of its current session, its task, the last
// answer's first line; the slots that need a person (a dialog, a question, an error,
// stuck) first. Dialogs are answered here with every option they show.
'use strict';

/** Busy this long in one state, a slot counts as stuck. */
const STUCK_MS = 10 * 60 * 1000;
// (Not `Unknown`: a slot running a shell rather than Claude Code reads so all day.)
const BUSY = new Set(['Starting', 'Thinking', 'Responding', 'ToolRunning']);

/** slotId -> { sessionId, tokens, cost, unpriced, at } for the current session. */
const usageBySlot = new Map();
/** slotId -> { sig, node }: cards are rebuilt only when what they show changed. */
const cards = new Map();

/** Why a slot needs a person, or '' when it does not. */
function attention(s) {
  if (s.dialog || s.state === 'Confirming') return 'dialog';
  if (Board.questions.some((q) => q.slotId === s.slotId)) return 'question';
  if (s.state === 'Error') return 'error';
  if (BUSY.has(s.state) && s.since && Date.now() - new Date(s.since).getTime() > STUCK_MS) return 'stuck';
  return '';
}

/** Tokens and cost of the slot's current session (tokens of each model priced). */
async function sessionUsage(agent) {
  const list = await rpc('mission_conversation_list', { slotId: agent.slotId, limit: 1 });
  const conv = list.conversations[0];
  if (!conv || (agent.sessionId && conv.sessionId !== agent.sessionId)) return null;
  const stats = await rpc('mission_token_stats', { slotId: agent.slotId, since: conv.startedAt || undefined });
  const priced = await priceRows(stats.byModel);
  const t = conv.tokens;
  return {
    sessionId: conv.sessionId,
    tokens: t.inputTokens + t.outputTokens + t.cacheReadTokens + t.cacheCreationTokens,
    output: t.outputTokens,
    cost: priced.cost,
    unpriced: priced.unpriced,
    at: Date.now(),
  };
}

async function refreshSlots() {
  const [{ agents }, status] = await Promise.all([rpc('mission_agents'), rpc('mission_status', { recent: 1 })]);
  const running = new Map(status.running.map((t) => [t.slotId, t]));
  const slots = await Promise.all(agents.map(async (a) => {
    const s = { ...a, task: running.get(a.slotId) || null, dialog: null, statusBar: null, currentTool: null, lastAnswer: '' };
    const live = a.state !== 'Stopped' && a.state !== 'Exited';
    const jobs = [];
    if (live) {
      jobs.push(rpc('mission_pty_status', { slotId: a.slotId }).then((st) => {
        s.dialog = st.dialog;
        s.statusBar = st.statusBar;
        s.currentTool = st.currentTool || null;
      }, () => {}));
    }
    jobs.push(rpc('mission_pty_history', { slotId: a.slotId, limit: 1 }).then((h) => {
      const last = h.turns[h.turns.length - 1];
      s.lastAnswer = last && last.answer ? firstLine(last.answer) : '';
    }, () => {}));
    const known = usageBySlot.get(a.slotId);
    if (!known || known.sessionId !== a.sessionId || Date.now() - known.at > 20000 || a.state === 'Idle') {
      jobs.push(sessionUsage(a).then((u) => { usageBySlot.set(a.slotId, u || { sessionId: a.sessionId, at: Date.now() }); }, () => {}));
    }
    await Promise.all(jobs);
    s.usage = usageBySlot.get(a.slotId) || null;
    s.attention = attention(s);
    return s;
  }));
  // Those needing a person first (dialogs, then questions, errors, stuck), then as configured.
  const rank = { dialog: 0, question: 1, error: 2, stuck: 3, '': 9 };
  slots.forEach((s, i) => { s.order = i; });
  slots.sort((x, y) => rank[x.attention] - rank[y.attention] || x.order - y.order);
  Board.slots = slots;
  renderSlots(slots);
  for (const fn of Board.slotWatchers) fn(slots);
}
Board.refreshers.slots = refreshSlots;

function renderSlots(slots) {
  const box = $('slots');
  const needing = slots.filter((s) => s.attention).length;
  $('slot-counts').textContent = `${slots.length} slots` + (needing ? `, ${needing} need you` : '');
  const seen = new Set();
  const nodes = slots.map((s) => {
    seen.add(s.slotId);
    const sig = JSON.stringify([s.state, s.since, s.attention, s.dialog, s.statusBar && s.statusBar.verb,
      s.currentTool, s.task && s.task.taskId, s.lastAnswer, s.usage && [s.usage.tokens, s.usage.cost], s.pid, s.host, Board.selectedSlot === s.slotId]);
    const known = cards.get(s.slotId);
    if (known && known.sig === sig) return known.node;
    const node = slotCard(s);
    cards.set(s.slotId, { sig, node });
    return node;
  });
  for (const id of [...cards.keys()]) if (!seen.has(id)) cards.delete(id);
  const same = nodes.length === box.children.length && nodes.every((n, i) => box.children[i] === n);
  if (!same) box.replaceChildren(...nodes);
}

/** What the slot is doing, as a line: its dialog; else the tool running and its
 *  argument, as Claude Code's hooks name them; else the status bar's verb. */
function doingLine(s) {
  const bar = s.statusBar;
  const secs = bar && bar.elapsedSecs != null ? ` ${bar.elapsedSecs}s` : '';
  if (s.dialog) {
    return el('div', { class: 'doing' }, `dialog: ${s.dialog.title}` + (s.dialog.tool ? ` (${s.dialog.tool})` : ''));
  }
  if (s.currentTool) {
    const t = s.currentTool;
    return el('div', { class: 'doing' }, 'running ', el('b', { class: 'tool' }, t.tool),
      t.summary ? el('code', { class: 'tool-arg' }, clip(t.summary, 120)) : null,
      secs ? el('span', { class: 'muted' }, secs) : null);
  }
  if (bar && bar.verb) return el('div', { class: 'doing' }, `${bar.spinner || ''} ${bar.verb}…`.trim() + secs);
  return null;
}

function slotCard(s) {
  const id = s.slotId;
  const doing = doingLine(s);
  const u = s.usage;
  const usage = u && u.tokens != null
    ? `${count(u.tokens)} tokens` + (u.cost != null ? ` · ${money(u.cost)}` : '') +
      (u.unpriced && u.unpriced.length ? ` · unpriced: ${u.unpriced.join(', ')}` : '')
    : '';
  return el('article', { class: 'slot-card' + (s.attention ? ' needs needs-' + s.attention : '') + (Board.selectedSlot === id ? ' selected' : ''),
    data: { slot: id }, onclick: (ev) => { if (ev.target === ev.currentTarget) selectSlot(id); } },
    el('div', { class: 'slot-head' },
      el('b', { class: 'id' }, id), ' ',
      el('span', { class: 'muted role' }, s.role), ' ',
      el('span', { class: 'state state-' + s.state }, s.state),
      el('span', { class: 'muted since', data: { since: s.since || '' } }, s.since ? ago(s.since) : ''),
      s.attention ? el('span', { class: 'flag' }, s.attention === 'dialog' ? 'needs an answer' : s.attention) : null),
    // A remote slot: the host it runs on, and its pid there.
    s.host ? el('div', { class: 'host muted' }, `on ${s.host}` + (s.pid != null ? `, pid ${s.pid} there` : '')) : null,
    doing,
    s.task ? el('div', { class: 'task text' }, el('span', { class: 'muted' }, `${s.task.taskId}: `), clip(firstLine(s.task.prompt), 160)) : null,
    s.lastAnswer ? el('div', { class: 'answer-line text' }, el('span', { class: 'muted' }, 'last answer: '), clip(s.lastAnswer, 200)) : null,
    usage ? el('div', { class: 'usage muted' }, 'session: ' + usage) : null,
    s.dialog ? dialogView(id, s.dialog) : null,
    el('div', { class: 'acts' },
      el('button', { type: 'button', onclick: () => watchSlot(id) }, 'terminal'),
      s.sessionId ? el('button', { type: 'button', onclick: (ev) => act(ev.target, () => openConversation(s.sessionId)) }, 'conversation') : null,
      actionButton('spawn', { class: 'spawn' }, (ev) => act(ev.target, async () => {
        const r = await rpc('mission_pty_spawn', { slotId: id });
        showDone(r.alreadyRunning ? `${id} was already running` : `${id} started: ${r.state}`);
        soon('slots');
      })),
      actionButton('kill', { class: 'kill' }, (ev) => confirmKill(ev.target, id))));
}

/** Kill only after a second, explicit click. */
function confirmKill(button, slotId) {
  const box = button.parentNode;
  const bar = el('span', { class: 'confirm' }, `kill ${slotId}? `,
    el('button', { type: 'button', class: 'danger', onclick: (ev) => act(ev.target, async () => {
      await rpc('mission_pty_kill', { slotId });
      showDone(`${slotId} killed`);
      bar.remove();
      soon('slots');
    }) }, 'yes, kill'),
    el('button', { type: 'button', onclick: () => bar.remove() }, 'cancel'));
  box.append(bar);
  setTimeout(() => bar.remove(), 10000);
  return bar;
}

/** The dialog as the slot shows it: what it asks about and every option. */
function dialogView(slotId, d) {
  const answer = (params, what) => (ev) => act(ev.target, async () => {
    const r = await rpc('mission_pty_confirm', { slotId, ...params });
    showDone(`${slotId}: chose "${r.chosen.label}"` + (what ? ` (${what})` : '') + `, now ${r.state}`);
    soon('slots');
  });
  const freeText = (o) => {
    const input = el('input', { placeholder: o.label, class: 'free-text' });
    return el('form', { class: 'row', onsubmit: (ev) => {
      ev.preventDefault();
      if (!input.value.trim()) { showError('type an answer first'); return; }
      answer({ text: input.value })({ target: ev.target.querySelector('button') });
    } }, input, el('button', { type: 'submit' }, 'send'));
  };
  const options = d.options.map((o, i) => {
    if (Board.access !== 'full') return el('li', {}, `${o.number ? o.number + '. ' : ''}${o.label}`);
    if (o.meaning === 'free_text') return el('li', {}, freeText(o));
    const params = o.number ? { response: o.number } : { label: o.label };
    return el('li', {}, el('button', { type: 'button', class: 'option', data: { option: String(i + 1) },
      title: o.description || '', onclick: answer(params) }, `${o.number ? o.number + '. ' : ''}${o.label}`),
    o.description ? el('span', { class: 'muted' }, ' ' + o.description) : null);
  });
  return el('div', { class: 'dialog' },
    el('div', { class: 'dialog-title' }, el('b', {}, d.title), d.tool ? el('span', { class: 'muted' }, ' ' + d.tool) : null),
    d.command ? el('pre', { class: 'command' }, fallbackGlyphs(d.command)) : null,
    d.target ? el('div', { class: 'target text' }, d.target) : null,
    d.details && d.details.length ? el('pre', { class: 'details' }, fallbackGlyphs(d.details.join('\n'))) : null,
    el('div', { class: 'question text' }, d.question),
    el('ol', { class: 'options' }, options));
}

/** Choose option `n` (1-based, as listed) of the open dialog of `slotId`. */
function chooseOption(slotId, n) {
  const button = document.querySelector(`.slot-card[data-slot="${CSS.escape(slotId)}"] button.option[data-option="${n}"]`);
  if (button) button.click();
}

function selectSlot(id) {
  Board.selectedSlot = id;
  document.querySelectorAll('.slot-card').forEach((c) => c.classList.toggle('selected', c.dataset.slot === id));
}

// The "for how long" of every card, every second.
setInterval(() => {
  document.querySelectorAll('.slot-card .since').forEach((n) => {
    if (n.dataset.since) n.textContent = ago(n.dataset.since);
  });
}, 1000);
