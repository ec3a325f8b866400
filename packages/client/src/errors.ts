/**
 * Errors: {@link MissionError} for an error reply of the daemon (JSON-RPC code, message,
 * data), {@link DaemonUnavailableError} when there is no daemon to talk to.
 */

/** The daemon's error codes (docs/ipc.md). They never change meaning. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  UnknownSlot: -32001,
  SlotNotRunning: -32002,
  SlotBusy: -32003,
  NoDialogOpen: -32004,
  Timeout: -32005,
  ConfigError: -32006,
  SlotAlreadyRunning: -32007,
  SpawnFailed: -32008,
  StorageError: -32009,
  ShuttingDown: -32010,
  InvalidChoice: -32011,
  NotAllowed: -32012,
} as const;

/** One of the known codes, or a newer one this client does not know by name. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode] | number;

/** An error reply from the daemon: the call reached it and it refused or failed. */
export class MissionError extends Error {
  /** The JSON-RPC error code (see {@link ErrorCode}). */
  readonly code: ErrorCodeValue;
  /** Context the daemon attached (`slotId`, `field`, `timeoutMs`, ...), if any. */
  readonly data: unknown;
  /** The method that was called. */
  readonly method: string;

  constructor(method: string, code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'MissionError';
    this.method = method;
    this.code = code;
    this.data = data;
  }
}

/** Why there is no daemon to answer. */
export type UnavailableReason =
  /** The connection dropped (the daemon stopped or crashed) while the call waited. */
  | 'disconnected'
  /** Nothing listens on the endpoint and auto-start is off. */
  | 'unreachable'
  /** Starting the daemon failed (binary missing, it exited, it never listened). */
  | 'start_failed'
  /** `close()` was called on this client. */
  | 'closed';

/**
 * The daemon could not be reached, or went away mid-call. A call rejected with
 * `disconnected` may or may not have run: it is never re-sent by this client.
 */
export class DaemonUnavailableError extends Error {
  /** What happened. */
  readonly reason: UnavailableReason;
  /** The endpoint this client talks to. */
  readonly endpoint: string;

  constructor(reason: UnavailableReason, endpoint: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DaemonUnavailableError';
    this.reason = reason;
    this.endpoint = endpoint;
  }
}
