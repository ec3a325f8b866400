/** `MissionControl`: the connection to the daemon and the typed tools on top of it. */

import { EventEmitter } from 'node:events';

import { RpcConnection } from './connection.js';
import { DaemonUnavailableError } from './errors.js';
import { EventHub } from './events.js';
import { nothingListens, startAndConnect } from './launch.js';
import { resolveDaemonBin, resolveEndpoint, resolveHome } from './paths.js';
import { Pty } from './pty.js';
import type {
  AgentInfo,
  AskParams,
  AskResult,
  CancelResult,
  HealthResult,
  InboxParams,
  InboxResult,
  SlotInfo,
  StatusResult,
  SubmitParams,
  SubmitResult,
  TaskId,
  TaskInfo,
  ToolMap,
  WebAccessResult,
  ToolName,
} from './types.js';

/** How to find (and, if need be, start) the daemon. */
export interface MissionControlOptions {
  /** `MISSIOND_HOME` (default: the environment's, else `~/.missiond`). */
  home?: string;
  /** The IPC endpoint (default: `MISSION_IPC_ENDPOINT`, else `<home>/missiond.sock`). */
  endpoint?: string;
  /**
   * The daemon binary for auto-start (default: `MISSIOND_BIN`, else the one in the
   * platform package npm installed with this one, else `missiond` on PATH).
   */
  daemonBin?: string;
  /** Start the daemon when nothing listens (default true). */
  autoStart?: boolean;
  /** How long a started daemon has to listen, in ms (default 10000). */
  startTimeoutMs?: number;
}

/** Events of a {@link MissionControl}. */
export interface MissionControlEvents {
  /** Something went wrong in the background (the event stream could not be opened, ...). */
  warning: [message: string];
}

/**
 * A client of the missiond daemon. Calls connect on demand: after the daemon went away,
 * the next call reconnects (starting a daemon again when `autoStart`). A call in flight
 * when the connection drops is rejected with a {@link DaemonUnavailableError} and never
 * re-sent, since it may have run.
 */
export class MissionControl extends EventEmitter<MissionControlEvents> {
  /** The daemon's home. */
  readonly home: string;
  /** The IPC endpoint. */
  readonly endpoint: string;
  /** The binary auto-start runs. */
  readonly daemonBin: string;
  /** Whether a missing daemon is started. */
  readonly autoStart: boolean;
  /** Slots' terminals: `spawn`, `get`. */
  readonly pty: PtyApi;
  /** The task queue: `submit`, `get`, `getMany`, `ask`, `cancel`, `status`. */
  readonly tasks: TasksApi;
  /** The shared event stream behind the Pty events. */
  readonly events: EventHub;
  private readonly startTimeoutMs: number;
  private conn: RpcConnection | null = null;
  private connecting: Promise<RpcConnection> | null = null;
  private closed = false;

  constructor(options: MissionControlOptions = {}) {
    super();
    this.home = resolveHome(options.home);
    this.endpoint = resolveEndpoint(this.home, options.endpoint);
    this.daemonBin = resolveDaemonBin(options.daemonBin);
    this.autoStart = options.autoStart ?? true;
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.events = new EventHub({ webAccess: () => this.webAccess(), warn: (m) => this.warn(m) });
    this.pty = new PtyApi(this);
    this.tasks = new TasksApi(this);
  }

  /** Connects (starting the daemon when nothing listens and `autoStart`). */
  async connect(): Promise<void> {
    await this.connection();
  }

  /** Calls a typed tool. */
  call<M extends ToolName>(method: M, params: ToolMap[M]['params']): Promise<ToolMap[M]['result']>;
  /** Calls any tool by name with camelCase arguments; resolves with its raw result. */
  call(method: string, params?: object): Promise<unknown>;
  async call(method: string, params: object = {}): Promise<unknown> {
    const conn = await this.connection();
    return conn.call(method, params);
  }

  /** Closes the connection and the event stream; waiting calls are rejected. Final. */
  close(): void {
    this.closed = true;
    this.events.close();
    this.conn?.close(new DaemonUnavailableError('closed', this.endpoint, 'the MissionControl client was closed'));
    this.conn = null;
  }

  /** Daemon health: version, pid, home, endpoint, slots, warnings, `webUrl`. */
  health(): Promise<HealthResult> {
    return this.call('mission_health', {});
  }

  /**
   * The daemon's web server (address and token), asked over this connection with the
   * internal `daemon.web_access` method: the token is in no file.
   */
  async webAccess(): Promise<WebAccessResult> {
    return (await this.call('daemon.web_access', {})) as WebAccessResult;
  }

  /** The slots configured in slots.yaml. */
  async slots(): Promise<SlotInfo[]> {
    return (await this.call('mission_slots', {})).slots;
  }

  /** Every slot with its current state. */
  async agents(): Promise<AgentInfo[]> {
    return (await this.call('mission_agents', {})).agents;
  }

  /** Unread messages, oldest first, marked read (`markRead: false` only peeks). */
  inbox(params: InboxParams = {}): Promise<InboxResult> {
    return this.call('mission_inbox', params);
  }

  /** Reports a background problem to `warning` listeners (never throws). */
  warn(message: string): void {
    this.emit('warning', message);
  }

  private connection(): Promise<RpcConnection> {
    if (this.closed) {
      return Promise.reject(new DaemonUnavailableError('closed', this.endpoint, 'the MissionControl client was closed'));
    }
    if (this.conn?.alive) return Promise.resolve(this.conn);
    this.connecting ??= this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async open(): Promise<RpcConnection> {
    const onClose = () => {
      if (this.conn && !this.conn.alive) this.conn = null;
    };
    let conn: RpcConnection;
    try {
      conn = await RpcConnection.open(this.endpoint, onClose, this.home);
    } catch (error) {
      if (!nothingListens(error)) {
        throw new DaemonUnavailableError('unreachable', this.endpoint, `cannot connect to the missiond daemon at ${this.endpoint}: ${(error as Error).message}`, { cause: error });
      }
      if (!this.autoStart) {
        throw new DaemonUnavailableError(
          'unreachable',
          this.endpoint,
          `no missiond daemon listens at ${this.endpoint}; start one with \`missiond\` (MISSIOND_HOME=${this.home}) or leave autoStart on`,
          { cause: error },
        );
      }
      conn = await startAndConnect({
        bin: this.daemonBin,
        home: this.home,
        endpoint: this.endpoint,
        timeoutMs: this.startTimeoutMs,
        onClose,
      });
    }
    if (this.closed) {
      conn.close(new DaemonUnavailableError('closed', this.endpoint, 'the MissionControl client was closed'));
      throw new DaemonUnavailableError('closed', this.endpoint, 'the MissionControl client was closed');
    }
    this.conn = conn;
    return conn;
  }
}

/** `mission.pty`: slots' terminals. */
export class PtyApi {
  /** Use `mission.pty`. */
  constructor(private readonly mission: MissionControl) {}

  /**
   * Starts the slot's agent and waits until it is ready (a running slot is left as it is:
   * `spawned.alreadyRunning`). Rejects with `-32001` for an unknown slot, `-32008` when
   * the process cannot start.
   */
  async spawn(slotId: string): Promise<Pty> {
    const spawned = await this.mission.call('mission_pty_spawn', { slotId });
    return new Pty(this.mission, slotId, spawned);
  }

  /** A handle on a slot without starting it (calls fail with `-32002` while it is stopped). */
  get(slotId: string): Pty {
    return new Pty(this.mission, slotId);
  }
}

/** `mission.tasks`: the task queue. */
export class TasksApi {
  /** Use `mission.tasks`. */
  constructor(private readonly mission: MissionControl) {}

  /** Queues a prompt and returns its task id at once. */
  submit(params: SubmitParams): Promise<SubmitResult> {
    return this.mission.call('mission_submit', params);
  }

  /** One task's status and result. Rejects with `-32602` for an unknown id. */
  async get(taskId: TaskId): Promise<TaskInfo> {
    const [task] = await this.getMany([taskId]);
    if (!task) throw new Error(`mission_task returned no task for ${taskId}`);
    return task;
  }

  /** Several tasks (1 to 100 ids), in the order asked. */
  async getMany(taskIds: TaskId[]): Promise<TaskInfo[]> {
    return (await this.mission.call('mission_task', { taskIds })).tasks;
  }

  /** Queues a prompt and waits for its answer (`-32005` on timeout, `data.taskId` to follow it). */
  ask(params: AskParams): Promise<AskResult> {
    return this.mission.call('mission_ask', params);
  }

  /** Cancels a queued or running task (`-32011` when it is already done or failed). */
  cancel(taskId: TaskId, reason?: string): Promise<CancelResult> {
    return this.mission.call('mission_cancel', { taskId, reason: reason ?? null });
  }

  /** Queue overview: counts, running, queued, recent, slots, unread messages. */
  status(options: { recent?: number } = {}): Promise<StatusResult> {
    return this.mission.call('mission_status', { recent: options.recent ?? null });
  }
}
