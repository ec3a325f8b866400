// The missiond board, core: DOM helpers, calls to the daemon (POST /rpc), messages to
// the person (successes and errors apart), debounced refreshes, and the /events
// WebSocket. The other board-*.js files add their parts through `Board`.
// Everything agents wrote is untrusted: it only ever goes into the page as text (el()
// and textContent), never as markup.
'use strict';

const TOKEN = new URLSearchParams(location.search).get('token') || '';
const $ = (id) => document.getElementById(id);

/** Shared state and hooks of the board's parts. */
const Board = {
  /** 'full' or 'view' (the read-only token), from /health. */
  access: 'full',
  /** name -> async function re-reading one part of the page. */
  refreshers: {},
  /** Functions called with each daemon event. */
  listeners: [],
  /** Functions called after each refresh of the slots, with the slot list. */
  slotWatchers: [],
  /** The latest slots, as the slot part read them. */
  slots: [],
  /** The latest pending questions. */
  questions: [],
};

// ---- DOM helpers (text only) ----

/** An element with properties and children; strings become text nodes. */
function el(tag, props, ...kids) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value;
    else if (key === 'data') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const kid of kids.flat()) {
    if (kid !== null && kid !== undefined && kid !== false) node.append(kid instanceof Node ? kid : String(kid));
  }
  return node;
}

function clip(text, max) {
  const s = text == null ? '' : String(text);
  return s.length > max ? s.slice(0, max) + '…' : s;
}

function firstLine(text) {
  const line = String(text || '').split('\n').map((l) => l.trim()).find((l) => l);
  return line || '';
}

function when(stamp) {
  if (!stamp) return '';
  const d = new Date(stamp);
  return isNaN(d) ? String(stamp) : d.toLocaleString();
}

/** "42s", "3m 12s", "2h 5m", "3d 4h" since `stamp`. */
function ago(stamp) {
  const ms = Date.now() - new Date(stamp).getTime();
  if (!stamp || isNaN(ms)) return '';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** 1234567 -> "1.2M". */
function count(n) {
  n = Number(n) || 0;
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (n >= 1e4) return Math.round(n / 1e3) + 'k';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return String(n);
}

/** US dollars: "$1.23", "<$0.01". */
function money(usd) {
  if (usd == null) return '';
  return usd < 0.01 && usd > 0 ? '<$0.01' : '$' + usd.toFixed(2);
}

// ---- messages to the person ----

function showError(message) {
  const list = $('errors');
  const item = el('li', {}, new Date().toLocaleTimeString() + ' ', message, ' ',
    el('button', { type: 'button', onclick: () => item.remove() }, 'dismiss'));
  list.prepend(item);
  while (list.children.length > 5) list.lastChild.remove();
}

/** A success: a green note that goes away by itself. */
function showDone(message) {
  const box = $('toasts');
  const item = el('div', { class: 'toast ok', role: 'status' }, message);
  box.prepend(item);
  while (box.children.length > 4) box.lastChild.remove();
  setTimeout(() => item.remove(), 6000);
}

// ---- the daemon ----

function authHeaders() {
  return { 'Authorization': 'Bearer ' + TOKEN };
}

/** Call a catalogue tool; throws an Error naming the tool and the daemon's message. */
async function rpc(method, params) {
  let response;
  try {
    response = await fetch('/rpc', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...authHeaders() },
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

/** GET a JSON route of the web server with the token. */
async function getJson(path) {
  const response = await fetch(path, { headers: authHeaders() });
  const body = await response.json().catch(() => null);
  if (!response.ok || !body) throw new Error(`${path}: HTTP ${response.status}${body && body.error ? ': ' + body.error : ''}`);
  return body;
}

/** Price `byModel` rows: { cost (null when nothing is priced), unpriced: [models] }. */
async function priceRows(rows) {
  const models = rows.map((r) => r.key);
  if (!models.length) return { cost: null, unpriced: [] };
  const { prices } = await getJson('/prices?models=' + encodeURIComponent(models.join(',')));
  let cost = 0;
  const unpriced = [];
  for (const row of rows) {
    const p = prices[row.key];
    if (!p) { unpriced.push(row.key); continue; }
    cost += (row.inputTokens * p.input + row.outputTokens * p.output +
      row.cacheCreationTokens * p.cacheWrite + row.cacheReadTokens * p.cacheRead) / 1e6;
  }
  return { cost: unpriced.length === models.length ? null : cost, unpriced };
}

function tokensOf(row) {
  return row.inputTokens + row.outputTokens + row.cacheReadTokens + row.cacheCreationTokens;
}

/** Run an action from a button: errors are shown, the button is off meanwhile. */
async function act(button, work) {
  if (button) button.disabled = true;
  try { return await work(); } catch (e) { showError(e.message); } finally { if (button) button.disabled = false; }
}

/** A button that acts, absent from the read-only board. */
function actionButton(label, props, onclick) {
  if (Board.access !== 'full') return null;
  return el('button', { type: 'button', ...props, onclick }, label);
}

// ---- refreshing, debounced ----

const pending = new Map();
function soon(name, delay) {
  const fn = Board.refreshers[name];
  if (!fn || pending.has(name)) return;
  pending.set(name, setTimeout(async () => {
    pending.delete(name);
    try { await fn(); } catch (e) { showError(e.message); }
  }, delay == null ? 150 : delay));
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
Board.refreshers.health = refreshHealth;

async function refreshAll() {
  await Promise.all(Object.values(Board.refreshers).map((fn) => fn().catch((e) => showError(e.message))));
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
    case 'slot_state':
      logEvent(`slot_state ${e.slotId} ${e.previous} -> ${e.state}`);
      soon('slots');
      soon('tasks');
      soon('health');
      break;
    default:
      if (String(e.type).startsWith('task_')) {
        logEvent(`${e.type} ${e.taskId}` + (e.slotId ? ' on ' + e.slotId : '') + (e.status ? ' ' + e.status : ''));
        soon('tasks');
        soon('inbox');
        soon('conversations');
        soon('slots');
      }
  }
  for (const fn of Board.listeners) {
    try { fn(e); } catch (err) { showError(err.message); }
  }
}

function setConn(on, text) {
  const c = $('conn');
  c.className = 'conn ' + (on ? 'on' : 'off');
  c.textContent = text || (on ? 'live' : 'not connected');
}

function wsUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const sep = path.includes('?') ? '&' : '?';
  return `${scheme}://${location.host}${path}${sep}token=${encodeURIComponent(TOKEN)}`;
}

let retry = 500;
function connect() {
  const ws = new WebSocket(wsUrl('/events'));
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

/** Fill a <select> of slots, keeping its choice; `extra` options first. */
function fillSlots(select, extra) {
  const keep = select.value;
  const ids = Board.slots.map((s) => s.slotId);
  select.replaceChildren(...(extra || []), ...ids.map((id) => el('option', { value: id }, id)));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

async function whoAmI() {
  try {
    const h = await getJson('/health');
    Board.access = h.access === 'view' ? 'view' : 'full';
  } catch (_) { /* keep 'full': the daemon refuses what the token may not do anyway */ }
  document.body.classList.toggle('read-only', Board.access !== 'full');
  $('mode').hidden = Board.access === 'full';
}

async function start() {
  if (!TOKEN) {
    $('notice').hidden = false;
    return;
  }
  await whoAmI();
  $('app').hidden = false;
  for (const fn of Board.starters || []) fn();
  refreshAll();
  connect();
  // What has no event (board, questions, inbox, usage) is re-read now and then.
  setInterval(() => { if (!document.hidden) refreshAll(); }, 15000);
  setInterval(() => { if (!document.hidden) soon('questions'); }, 4000);
}

/** Parts register set-up work here; it runs once the token is known. */
Board.starters = [];

document.addEventListener('DOMContentLoaded', start);
