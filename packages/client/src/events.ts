/**
 * The daemon's `/events` WebSocket, shared by every {@link Pty} of a client and open only
 * while one of them has `state` or `confirm` listeners. It reconnects (with backoff) while
 * anyone listens, so a restarted daemon, on a new port with a new token, is picked up.
 */

import WebSocket from 'ws';

import type { SlotState, WebAccessResult } from './types.js';

/** What a subscriber is told. */
export interface SlotSubscriber {
  /** The slot changed state. */
  onState(state: SlotState, previous: SlotState): void;
  /** Events may have been missed (just subscribed, lagged, reconnected): re-read the slot. */
  onResync(): void;
}

/** What the hub needs from the client. */
export interface HubSource {
  /** The daemon's answer to `daemon.web_access` (its web server's address and token). */
  webAccess(): Promise<WebAccessResult>;
  warn(message: string): void;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

interface Frame {
  type?: unknown;
  slotId?: unknown;
  state?: unknown;
  previous?: unknown;
}

/** One `/events` stream fanned out to per-slot subscribers. */
export class EventHub {
  private readonly subscribers = new Map<string, Set<SlotSubscriber>>();
  private socket: WebSocket | null = null;
  private opening = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly source: HubSource) {}

  /** Adds a subscriber for `slotId`; returns the function that removes it. */
  subscribe(slotId: string, subscriber: SlotSubscriber): () => void {
    let set = this.subscribers.get(slotId);
    if (!set) this.subscribers.set(slotId, (set = new Set()));
    set.add(subscriber);
    if (this.socket?.readyState === WebSocket.OPEN) subscriber.onResync();
    this.ensureOpen();
    return () => {
      set.delete(subscriber);
      if (set.size === 0) this.subscribers.delete(slotId);
      if (this.subscribers.size === 0) this.disconnect();
    };
  }

  /** Closes the stream for good. */
  close(): void {
    this.closed = true;
    this.subscribers.clear();
    this.disconnect();
  }

  private ensureOpen(): void {
    if (this.closed || this.socket || this.opening || this.retryTimer || this.subscribers.size === 0) return;
    this.opening = true;
    this.open()
      .catch((error: Error) => {
        this.source.warn(`cannot open the daemon's event stream (${error.message}); retrying`);
        this.scheduleRetry();
      })
      .finally(() => {
        this.opening = false;
      });
  }

  private async open(): Promise<void> {
    // Asked of the daemon each time: a restarted daemon has a new port and token.
    const access = await this.source.webAccess();
    if (!access.webUrl) {
      throw new Error(`the daemon has no WebSocket server (${access.error ?? 'no webUrl in daemon.web_access'})`);
    }
    if (this.closed || this.subscribers.size === 0) return;
    const socket = new WebSocket(`${access.webUrl}/events`, { headers: { Authorization: `Bearer ${access.token}` } });
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.receive(data.toString());
    });
    socket.on('error', () => {
      // 'close' follows; the retry there is the whole handling.
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleRetry();
    });
  }

  private receive(text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      return;
    }
    if (frame.type === 'subscribed' || frame.type === 'lagged') {
      this.retryMs = FIRST_RETRY_MS;
      for (const set of this.subscribers.values()) for (const s of [...set]) s.onResync();
    } else if (frame.type === 'slot_state' && typeof frame.slotId === 'string') {
      const set = this.subscribers.get(frame.slotId);
      if (!set) return;
      for (const s of [...set]) s.onState(frame.state as SlotState, frame.previous as SlotState);
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.subscribers.size === 0 || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.ensureOpen();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }

  private disconnect(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    this.retryMs = FIRST_RETRY_MS;
  }
}
