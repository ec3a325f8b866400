/** A slot's terminal agent as an object: prompt it, read it, answer its dialogs, listen to it. */

import { EventEmitter } from 'node:events';

import type { EventHub } from './events.js';
import type {
  ConfirmResponse,
  Dialog,
  PtyConfirmResult,
  PtyHistoryResult,
  PtyInterruptResult,
  PtyKillResult,
  PtyLogsResult,
  PtyScreenResult,
  PtySendResult,
  PtySpawnResult,
  PtyStatusResult,
  SlotState,
  ToolMap,
  ToolName,
} from './types.js';

/** What a Pty needs from its client. */
export interface PtyHost {
  call<M extends ToolName>(method: M, params: ToolMap[M]['params']): Promise<ToolMap[M]['result']>;
  readonly events: EventHub;
  warn(message: string): void;
}

/** Events of a {@link Pty}. */
export interface PtyEvents {
  /** The slot entered a new state (`previous` is the one it left). */
  state: [state: SlotState, previous: SlotState];
  /** A dialog opened (a tool permission prompt or a start-up question). */
  confirm: [dialog: Dialog];
}

const LIVE_EVENTS = new Set<string | symbol>(['state', 'confirm']);

/**
 * One slot. `state` and `confirm` events come from the daemon's event stream, which is
 * open only while a listener for either is attached: remove listeners (or `close()` the
 * client) to let the process exit.
 */
export class Pty extends EventEmitter<PtyEvents> {
  /** The slot's id. */
  readonly slotId: string;
  /** What `spawn` reported, when this object came from `mission.pty.spawn`. */
  readonly spawned: PtySpawnResult | null;
  private unsubscribe: (() => void) | null = null;
  private lastState: SlotState | null = null;
  private dialogAnnounced = false;

  /** Use `mission.pty.spawn(slotId)` or `mission.pty.get(slotId)`. */
  constructor(
    private readonly host: PtyHost,
    slotId: string,
    spawned: PtySpawnResult | null = null,
  ) {
    super();
    this.slotId = slotId;
    this.spawned = spawned;
    // Listener bookkeeping events are not part of the typed map.
    const raw = this as EventEmitter;
    raw.on('newListener', (event: string | symbol) => {
      if (LIVE_EVENTS.has(event) && !this.unsubscribe) {
        this.unsubscribe = host.events.subscribe(slotId, {
          onState: (state, previous) => this.onState(state, previous),
          onResync: () => void this.resync(),
        });
      }
    });
    raw.on('removeListener', (event: string | symbol) => {
      if (LIVE_EVENTS.has(event) && this.listenerCount('state') + this.listenerCount('confirm') === 0) {
        this.unsubscribe?.();
        this.unsubscribe = null;
        this.lastState = null;
        this.dialogAnnounced = false;
      }
    });
  }

  /**
   * Types `message` and waits for the turn to end (default 300000 ms, at most 3600000).
   * Resolves with the full result: `answer` is the exact text of the turn; when the agent
   * stopped at a dialog, `state` is `Confirming` and `dialog` says what it asks (answer
   * with {@link confirm}). Rejects with a MissionError: `-32005` timeout (the turn goes on),
   * `-32003` slot busy, `-32002` not running.
   */
  send(message: string, options: { timeoutMs?: number } = {}): Promise<PtySendResult> {
    return this.host.call('mission_pty_send', { slotId: this.slotId, message, timeoutMs: options.timeoutMs ?? null });
  }

  /** The screen as text (only the last `lines` rows when given), with the state read from it. */
  screen(options: { lines?: number } = {}): Promise<PtyScreenResult> {
    return this.host.call('mission_pty_screen', { slotId: this.slotId, lines: options.lines ?? null });
  }

  /** State, since when, status bar, open dialog, pid and session id. */
  status(): Promise<PtyStatusResult> {
    return this.host.call('mission_pty_status', { slotId: this.slotId });
  }

  /** Answers the open dialog: `yes`, `no`, `always`, or an option number. */
  confirm(response: ConfirmResponse): Promise<PtyConfirmResult> {
    return this.host.call('mission_pty_confirm', { slotId: this.slotId, response });
  }

  /** Answers the open dialog with the option whose label is `label` (case ignored). */
  choose(label: string): Promise<PtyConfirmResult> {
    return this.host.call('mission_pty_confirm', { slotId: this.slotId, label });
  }

  /** Answers the open question in your own words (its `Type something.` option). */
  answerText(text: string): Promise<PtyConfirmResult> {
    return this.host.call('mission_pty_confirm', { slotId: this.slotId, text });
  }

  /** Ends the current turn, as Esc would. */
  interrupt(): Promise<PtyInterruptResult> {
    return this.host.call('mission_pty_interrupt', { slotId: this.slotId });
  }

  /** Stops the slot's process. */
  kill(): Promise<PtyKillResult> {
    return this.host.call('mission_pty_kill', { slotId: this.slotId });
  }

  /** The latest turns (default 20), oldest first. */
  history(options: { limit?: number } = {}): Promise<PtyHistoryResult> {
    return this.host.call('mission_pty_history', { slotId: this.slotId, limit: options.limit ?? null });
  }

  /** The end of the slot's terminal log as text (default 16384 bytes). */
  logs(options: { tailBytes?: number } = {}): Promise<PtyLogsResult> {
    return this.host.call('mission_pty_logs', { slotId: this.slotId, tailBytes: options.tailBytes ?? null });
  }

  private onState(state: SlotState, previous: SlotState): void {
    if (state === this.lastState) return;
    this.lastState = state;
    this.emit('state', state, previous);
    if (state === 'Confirming') void this.announceDialog();
    else this.dialogAnnounced = false;
  }

  /** Re-reads the slot after events may have been missed; reports a change or an open dialog. */
  private async resync(): Promise<void> {
    let status: PtyStatusResult;
    try {
      status = await this.status();
    } catch (error) {
      this.host.warn(`cannot read slot ${this.slotId}'s status: ${(error as Error).message}`);
      return;
    }
    if (!this.unsubscribe) return;
    if (this.lastState === null) {
      // First reading: not a change, but a dialog already waiting is news to the listener.
      this.lastState = status.state;
      if (status.state === 'Confirming' && status.dialog) this.emitDialog(status.dialog);
      return;
    }
    this.onState(status.state, this.lastState);
  }

  /** The slot state event carries no dialog: read it from the slot's status. */
  private async announceDialog(): Promise<void> {
    try {
      const status = await this.status();
      if (status.state === 'Confirming' && status.dialog && this.unsubscribe) this.emitDialog(status.dialog);
    } catch (error) {
      this.host.warn(`cannot read slot ${this.slotId}'s dialog: ${(error as Error).message}`);
    }
  }

  private emitDialog(dialog: Dialog): void {
    if (this.dialogAnnounced) return;
    this.dialogAnnounced = true;
    this.emit('confirm', dialog);
  }
}
