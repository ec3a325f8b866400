// Live terminals: one xterm.js per watched slot, fed by the slot's /pty/{slotId}
// WebSocket (a repaint on attach, then the output as it comes). The terminal keeps the
// slot's own size (columns x rows), so what it shows is exactly the slot's screen, a
// dialog at the bottom included; its font is scaled to the panel's width. Viewing by
// default; typing only after the panel's "type" switch (never on the read-only board).
'use strict';

/** A font with the glyphs Claude Code draws (⎿ ❯ ● ✻ ─), then fallbacks. */
const TERM_FONT = '"DejaVu Sans Mono", "Noto Sans Mono", "Cascadia Mono", "Menlo", "Consolas", "Noto Sans Symbols 2", "Segoe UI Symbol", monospace';

/**
 * Glyphs Claude Code draws that common monospace fonts lack (DejaVu Sans Mono has none
 * of these), each shown as the nearest glyph they have, so a result line reads
 * `  └  ...` instead of a box. Display only: the slot's output is not changed.
 */
const GLYPH_FALLBACK = { '\u23bf': '\u2514', '\u23fa': '\u25cf', '\u23f8': '\u2016', '\u23f5': '\u25b8', '\u23f4': '\u25c2' };
const GLYPH_RE = new RegExp('[' + Object.keys(GLYPH_FALLBACK).join('') + ']', 'g');
function fallbackGlyphs(text) {
  return text.replace(GLYPH_RE, (c) => GLYPH_FALLBACK[c]);
}

/** slotId -> TermPanel. */
const terminals = new Map();

/** Width of one cell per pixel of font size, measured once in the terminal's font. */
let cellRatio = 0;
function cellWidthRatio() {
  if (!cellRatio) {
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = `100px ${TERM_FONT}`;
    cellRatio = (ctx.measureText('W'.repeat(10)).width / 10) / 100 || 0.6;
  }
  return cellRatio;
}

class TermPanel {
  constructor(slotId) {
    this.slotId = slotId;
    this.typing = false;
    this.closed = false;
    this.cols = 80;
    this.rows = 24;
    this.ws = null;
    this.decoder = new TextDecoder('utf-8');
    this.stateText = el('span', { class: 'muted term-state' }, 'connecting…');
    this.typeButton = actionButton('type', { class: 'term-type', title: 'type into this terminal' }, () => this.setTyping(!this.typing));
    this.sizeCols = el('input', { type: 'number', min: 20, max: 500, class: 'num', title: 'columns' });
    this.sizeRows = el('input', { type: 'number', min: 5, max: 200, class: 'num', title: 'rows' });
    this.sizeForm = el('form', { class: 'term-size', hidden: true, onsubmit: (ev) => { ev.preventDefault(); this.resizeSlot(); } },
      this.sizeCols, '×', this.sizeRows, el('button', { type: 'submit' }, 'resize slot'));
    this.host = el('div', { class: 'term-host' });
    this.node = el('div', { class: 'term-panel', data: { slot: slotId } },
      el('div', { class: 'term-head' },
        el('b', {}, slotId), ' ', this.stateText, el('span', { class: 'spacer' }),
        this.typeButton, this.sizeForm,
        el('button', { type: 'button', title: 'stop watching', onclick: () => unwatchSlot(slotId) }, '×')),
      this.host);
    $('terms').append(this.node);
    $('terms-section').hidden = false;
    $('live').classList.add('has-terms');
    this.term = new Terminal({
      disableStdin: true,
      cursorBlink: false,
      fontFamily: TERM_FONT,
      fontSize: 12,
      scrollback: 500,
      cols: this.cols,
      rows: this.rows,
      theme: { background: '#15161a', foreground: '#d7d7db' },
    });
    this.term.open(this.host);
    this.term.onData((data) => {
      if (this.typing && this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(new TextEncoder().encode(data));
    });
    this.resizer = new ResizeObserver(() => this.scale());
    this.resizer.observe(this.host);
    this.connect();
  }

  /** The font size that fits the slot's columns in the panel's width. */
  scale() {
    const width = this.host.clientWidth - 4;
    if (width <= 0) return;
    const size = Math.max(4, Math.min(15, Math.floor((width / this.cols / cellWidthRatio()) * 10) / 10));
    if (this.term.options.fontSize !== size) this.term.options.fontSize = size;
  }

  connect() {
    if (this.closed) return;
    const mode = this.typing ? 'control' : 'view';
    const ws = new WebSocket(wsUrl(`/pty/${encodeURIComponent(this.slotId)}?mode=${mode}`));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (m) => {
      if (ws !== this.ws) return;
      if (typeof m.data !== 'string') {
        // Decoded as a stream (a character may be split between frames).
        this.term.write(fallbackGlyphs(this.decoder.decode(new Uint8Array(m.data), { stream: true })));
        return;
      }
      let msg;
      try { msg = JSON.parse(m.data); } catch (_) { return; }
      this.onControl(msg);
    };
    ws.onclose = () => {
      if (ws !== this.ws || this.closed) return;
      // A slot that is not running is attached again when it starts (see below).
      if (this.stopped) return;
      this.stateText.textContent += ' (disconnected; retrying)';
      setTimeout(() => { if (ws === this.ws) this.connect(); }, 3000);
    };
  }

  onControl(msg) {
    switch (msg.type) {
      case 'attached':
        this.stopped = false;
        this.cols = msg.cols;
        this.rows = msg.rows;
        // The repaint that follows draws the whole screen on a clean terminal.
        this.term.reset();
        this.decoder = new TextDecoder('utf-8');
        this.term.resize(msg.cols, msg.rows);
        this.sizeCols.value = msg.cols;
        this.sizeRows.value = msg.rows;
        this.scale();
        this.showState(msg.state);
        return;
      case 'state':
        this.showState(msg.state);
        return;
      case 'lagged':
        this.term.reset();
        return;
      case 'exited':
        this.stopped = true;
        this.showState(`exited${msg.code == null ? '' : ' (' + msg.code + ')'}`);
        return;
      case 'error':
        if (/not running/.test(msg.message)) this.stopped = true;
        this.stateText.textContent = msg.message;
        return;
    }
  }

  showState(state) {
    this.stateText.textContent = `${state} · ${this.cols}×${this.rows}` + (this.typing ? ' · typing' : ' · viewing');
  }

  /** Switch between viewing and typing (a new attach in the other mode). */
  setTyping(on) {
    if (Board.access !== 'full') return;
    this.typing = on;
    this.term.options.disableStdin = !on;
    this.node.classList.toggle('typing', on);
    if (this.typeButton) this.typeButton.textContent = on ? 'stop typing' : 'type';
    this.sizeForm.hidden = !on;
    const old = this.ws;
    this.ws = null;
    if (old) old.close();
    this.connect();
    if (on) this.term.focus();
  }

  resizeSlot() {
    const cols = Number(this.sizeCols.value);
    const rows = Number(this.sizeRows.value);
    if (!this.typing || !this.ws || !cols || !rows) return;
    this.ws.send(JSON.stringify({ type: 'resize', cols, rows }));
    this.cols = cols;
    this.rows = rows;
    this.term.resize(cols, rows);
    this.scale();
  }

  close() {
    this.closed = true;
    if (this.ws) this.ws.close();
    this.resizer.disconnect();
    this.term.dispose();
    this.node.remove();
  }
}

/** Show a slot's live terminal (or bring it into view when it already shows). */
function watchSlot(slotId) {
  let panel = terminals.get(slotId);
  if (!panel) {
    panel = new TermPanel(slotId);
    terminals.set(slotId, panel);
  }
  panel.node.scrollIntoView({ block: 'nearest' });
  return panel;
}

function unwatchSlot(slotId) {
  const panel = terminals.get(slotId);
  if (!panel) return;
  panel.close();
  terminals.delete(slotId);
  $('terms-section').hidden = terminals.size === 0;
  $('live').classList.toggle('has-terms', terminals.size > 0);
}

Board.starters.push(() => {
  // `?watch=a,b` in the URL opens those slots' terminals at once (bookmarks, screenshots).
  const watch = new URLSearchParams(location.search).get('watch');
  if (watch) watch.split(',').map((s) => s.trim()).filter(Boolean).forEach(watchSlot);
  const perRow = $('terms-per-row');
  perRow.addEventListener('change', () => {
    $('terms').className = 'term-grid per-row-' + perRow.value;
  });
});

// A watched slot that starts again is attached again.
Board.listeners.push((e) => {
  const panel = e.type === 'slot_state' ? terminals.get(e.slotId) : null;
  if (!panel || !panel.stopped || e.state === 'Stopped' || e.state === 'Exited') return;
  panel.stopped = false;
  const old = panel.ws;
  panel.ws = null;
  if (old) old.close();
  panel.connect();
});
