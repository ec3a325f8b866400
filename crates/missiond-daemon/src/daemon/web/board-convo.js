// Conversations: the recorded sessions (tokens and cost of each), one opened message by
// message with thinking, tool calls and tool results folded, and a search across all
// of them (mission_conversation_list/get/search, mission_token_stats).
'use strict';

const convo = { sessionId: null, nextSinceId: 0, focus: null };

function usageLine(t) {
  const total = t.inputTokens + t.outputTokens + t.cacheReadTokens + t.cacheCreationTokens;
  return `${count(total)} tokens (in ${count(t.inputTokens)}, out ${count(t.outputTokens)}, cache read ${count(t.cacheReadTokens)}, cache write ${count(t.cacheCreationTokens)})`;
}

async function refreshConversations() {
  const slotId = $('convo-slot').value;
  const r = await rpc('mission_conversation_list', { limit: 20, ...(slotId ? { slotId } : {}) });
  $('convo-counts').textContent = `${r.total} recorded`;
  $('conversations').replaceChildren(...r.conversations.map((c) => el('li', { data: { session: c.sessionId } },
    el('button', { type: 'button', class: 'link open-convo', onclick: () => openConversation(c.sessionId) },
      `${c.slotId} · ${c.messageCount} messages · ${when(c.lastMessageAt)}`),
    el('div', { class: 'muted' }, usageLine(c.tokens)),
    c.firstPrompt ? el('div', { class: 'text' }, clip(c.firstPrompt, 300)) : null)));
}
Board.refreshers.conversations = refreshConversations;

/** One message: prompts and answers shown, the rest folded under a summary line. */
function messageItem(m) {
  const who = m.role === 'user' ? 'you' : m.role;
  const head = `${who} · ${when(m.createdAt)}` + (m.model ? ` · ${m.model}` : '');
  const body = (text) => el('div', { class: 'text body' }, text);
  const item = (kind, ...kids) => el('li', { class: `msg msg-${kind} role-${m.role}`, data: { message: String(m.id) } }, ...kids);
  switch (m.kind) {
    case 'text':
      return item('text', el('div', { class: 'muted' }, head), body(m.text));
    case 'thinking':
      return item('thinking', el('details', {}, el('summary', {}, `thinking · ${clip(firstLine(m.text), 100)}`), body(m.text)));
    case 'tool_use': {
      const input = m.payload && m.payload.input !== undefined ? m.payload.input : m.payload;
      const what = input && (input.command || input.file_path || input.path || input.url || input.description || input.pattern);
      return item('tool', el('details', {},
        el('summary', {}, `tool call: ${m.toolName || '?'}` + (what ? ` · ${clip(String(what), 100)}` : '')),
        m.text ? body(m.text) : null,
        input !== undefined && input !== null ? el('pre', { class: 'payload' }, JSON.stringify(input, null, 2)) : null));
    }
    case 'tool_result':
      return item('result', el('details', {},
        el('summary', { class: m.isError ? 'bad' : '' }, `${m.isError ? 'tool error' : 'tool result'}` +
          (m.toolName ? ` (${m.toolName})` : '') + ` · ${clip(firstLine(m.text), 100)}`),
        body(m.text)));
    default:
      return item('system', el('details', {}, el('summary', {}, `${m.kind} · ${clip(firstLine(m.text), 100)}`), body(m.text)));
  }
}

async function loadMessages() {
  const r = await rpc('mission_conversation_get', { sessionId: convo.sessionId, sinceId: convo.nextSinceId, limit: 500 });
  convo.nextSinceId = r.nextSinceId;
  $('convo-messages').append(...r.messages.map(messageItem));
  $('convo-more').hidden = !r.hasMore;
  return r;
}

/** Open a conversation; `focusId` scrolls to (and unfolds) one message, e.g. a search hit. */
async function openConversation(sessionId, focusId) {
  convo.sessionId = sessionId;
  convo.nextSinceId = 0;
  $('convo-view').hidden = false;
  $('convo-messages').replaceChildren();
  $('convo-title').textContent = sessionId;
  $('convo-meta').textContent = 'loading…';
  try {
    const first = await loadMessages();
    while (focusId && !document.querySelector(`#convo-messages [data-message="${focusId}"]`) && !$('convo-more').hidden) await loadMessages();
    $('convo-meta').textContent = `${first.slotId}`;
    conversationCost(sessionId).then((line) => { if (convo.sessionId === sessionId && line) $('convo-meta').textContent = `${first.slotId} · ${line}`; }, () => {});
  } catch (e) {
    $('convo-meta').textContent = '';
    throw e;
  }
  const target = focusId && document.querySelector(`#convo-messages [data-message="${focusId}"]`);
  if (target) {
    target.classList.add('hit');
    const details = target.querySelector('details');
    if (details) details.open = true;
    target.scrollIntoView({ block: 'center' });
  } else {
    $('convo-view').scrollIntoView({ block: 'nearest' });
  }
}

/** The session's tokens and cost: its slot's usage between its first and last message. */
async function conversationCost(sessionId) {
  const list = await rpc('mission_conversation_list', { limit: 200 });
  const c = list.conversations.find((x) => x.sessionId === sessionId);
  if (!c || !c.startedAt) return c ? usageLine(c.tokens) : '';
  const until = c.lastMessageAt ? new Date(new Date(c.lastMessageAt).getTime() + 1000).toISOString() : undefined;
  const stats = await rpc('mission_token_stats', { slotId: c.slotId, since: c.startedAt, until });
  const priced = await priceRows(stats.byModel);
  return usageLine(c.tokens) + (priced.cost != null ? ` · ${money(priced.cost)}` : '') +
    (priced.unpriced.length ? ` · unpriced: ${priced.unpriced.join(', ')}` : '');
}

/** A snippet with its matches between ** shown marked, as text. */
function snippet(text) {
  return String(text).split('**').map((part, i) => (i % 2 ? el('mark', {}, part) : part));
}

async function search(query) {
  const slotId = $('convo-slot').value;
  const hits = $('convo-hits');
  if (!query.trim()) { hits.hidden = true; return; }
  const r = await rpc('mission_conversation_search', { query, limit: 30, ...(slotId ? { slotId } : {}) });
  hits.hidden = false;
  hits.replaceChildren(
    el('li', { class: 'muted' }, `${r.hits.length} hit${r.hits.length === 1 ? '' : 's'} for "${query}"`),
    ...r.hits.map((h) => el('li', { class: 'hit-item', data: { session: h.sessionId, message: String(h.messageId) } },
      el('button', { type: 'button', class: 'link', onclick: () => act(null, () => openConversation(h.sessionId, h.messageId)) },
        `${h.slotId} · ${h.kind}${h.toolName ? ' ' + h.toolName : ''} · ${when(h.createdAt)}`),
      el('div', { class: 'text' }, snippet(h.snippet)))));
}

Board.starters.push(() => {
  $('convo-search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(ev.target.querySelector('button'), () => search($('convo-search').value));
  });
  $('convo-slot').addEventListener('change', () => soon('conversations', 0));
  $('convo-close').addEventListener('click', () => { $('convo-view').hidden = true; convo.sessionId = null; });
  $('convo-more').addEventListener('click', (ev) => act(ev.target, loadMessages));
  Board.slotWatchers.push(() => fillSlots($('convo-slot'), [el('option', { value: '' }, 'all slots')]));
});
