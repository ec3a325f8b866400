/**
 * Arguments and results of the tools this client wraps, as docs/tools.md gives them
 * (hand-written; `MissionControl.call` reaches every other tool untyped). Times are
 * RFC 3339 strings in UTC.
 *
 * The unions `SlotState`, `DialogKind` and `OptionMeaning` are generated from the Rust
 * enums (as are `@missiond/semantic-terminal`'s): edit the enums, then run
 * `UPDATE_TYPES=1 cargo test -p missiond-core --test ts_unions`.
 */

/** What a slot's Claude Code is doing. */
export type SlotState =
  | 'Stopped'
  | 'Starting'
  | 'Idle'
  | 'Thinking'
  | 'Responding'
  | 'ToolRunning'
  | 'Confirming'
  | 'Error'
  | 'SlashMenu'
  | 'Exited'
  | 'Unknown';

/** Which kind of dialog is open. */
export type DialogKind =
  | 'bash'
  | 'file_write'
  | 'file_edit'
  | 'mcp_tool'
  | 'web_fetch'
  | 'other_tool'
  | 'folder_trust'
  | 'api_key_approval'
  | 'onboarding'
  | 'ask_user_question'
  | 'exit_plan_mode'
  | 'unrecognised';

/** What choosing an option means. */
export type OptionMeaning =
  | 'yes'
  | 'yes_always'
  | 'no'
  | 'other'
  | 'free_text';

/** One option of a dialog, in screen order. */
export interface DialogOption {
  /** The label as shown, without number and selection marker. */
  label: string;
  /** What choosing it means. */
  meaning: OptionMeaning;
  /** The number shown before the label, if any. */
  number: number | null;
  /** Whether the selection marker is on it. */
  selected: boolean;
  /** The text under the label (question dialogs describe each answer). */
  description?: string;
}

/** A parsed dialog: enough to answer it by meaning. */
export interface Dialog {
  /** The shell command, for Bash dialogs. */
  command: string | null;
  /** Other lines shown between the title and the question. */
  details: string[];
  /** What the dialog is about. */
  kind: DialogKind;
  /** Every option, in screen order. */
  options: DialogOption[];
  /** The question (`Do you want to proceed?`). */
  question: string;
  /** The file path for file dialogs; the URL for fetches. */
  target: string | null;
  /** The title line (`Bash command`, `Create file`, ...). */
  title: string;
  /** The tool the dialog is about (`Bash`, `Write`, `mcp__x__y`, ...). */
  tool: string | null;
}

/** How to answer a dialog: by meaning, or an option number shown in it. */
export type ConfirmResponse = 'yes' | 'no' | 'always' | number;

/** A tool call made during a turn. */
export interface ToolUse {
  /** A one-line summary of its input, when known. */
  summary: string | null;
  /** The tool's name. */
  tool: string;
}

/** A cursor position, 0-based. */
export interface CursorPos {
  col: number;
  row: number;
}

/** The status line above the input box while Claude Code works, plus the footer. */
export interface StatusBar {
  contextLeftPercent: number | null;
  elapsedSecs: number | null;
  footer: string | null;
  interruptible: boolean;
  permissionMode: string | null;
  spinner: string | null;
  tokens: number | null;
  verb: string | null;
  /** Background subagents running (the panel under the footer), when any. */
  subagents?: Subagent[];
  /** Background agents the turn's last line says it waits for, when it says so. */
  waitingForAgents?: number;
}

/** A subagent running in the background. */
export interface Subagent {
  kind: string;
  description: string;
  elapsedSecs: number | null;
}

/** `mission_pty_spawn` result. */
export interface PtySpawnResult {
  alreadyRunning: boolean;
  dialog: Dialog | null;
  pid: number | null;
  sessionId: string | null;
  slotId: string;
  state: SlotState;
}

/** `mission_pty_send` result. */
export interface PtySendResult {
  /** The answer text (for a turn stopped by a dialog: the text so far). */
  answer: string;
  /** The dialog waiting, when `state` is `Confirming`. */
  dialog: Dialog | null;
  durationMs: number;
  /** `Idle` after a finished turn, `Confirming` when a dialog waits, `Error` on an error. */
  state: SlotState;
  toolsUsed: ToolUse[];
  /** True when the turn was interrupted before it finished (`answer` is the text so far). */
  interrupted?: boolean;
}

/** `mission_pty_screen` result. */
export interface PtyScreenResult {
  cols: number;
  cursor: CursorPos | null;
  rows: number;
  /** The visible text, one line per row, trailing spaces trimmed. */
  screen: string;
  slotId: string;
  state: SlotState;
}

/** `mission_pty_confirm` result. */
export interface PtyConfirmResult {
  chosen: DialogOption;
  slotId: string;
  state: SlotState;
}

/** `mission_pty_interrupt` result. */
export interface PtyInterruptResult {
  slotId: string;
  state: SlotState;
}

/** `mission_pty_kill` result. */
export interface PtyKillResult {
  exitCode: number | null;
  slotId: string;
  wasRunning: boolean;
}

/** `mission_pty_status` result. */
export interface PtyStatusResult {
  cwd: string;
  dialog: Dialog | null;
  parserDisagreements: number | null;
  pid: number | null;
  role: string;
  screenState: SlotState | null;
  sessionId: string | null;
  since: string;
  slotId: string;
  state: SlotState;
  statusBar: StatusBar | null;
  /** The tool running now and its argument's summary, while `state` is `ToolRunning` and
   * Claude Code's hook named it. */
  currentTool?: ToolUse;
  /** Claude Code's status file's last `status` (`idle`, `busy`, ...), once read. */
  statusFile?: string;
}

/** One recorded prompt and its answer. */
export interface TurnSummary {
  answer: string | null;
  endState: SlotState | null;
  endedAt: string | null;
  prompt: string;
  sessionId: string | null;
  startedAt: string;
  toolsUsed: ToolUse[];
}

/** `mission_pty_history` result. */
export interface PtyHistoryResult {
  slotId: string;
  turns: TurnSummary[];
}

/** `mission_pty_logs` result. */
export interface PtyLogsResult {
  path: string;
  slotId: string;
  text: string;
  totalBytes: number;
  truncated: boolean;
  /** The last line's number when it was cut short (the log stopped mid-write) and skipped. */
  skippedLine?: number;
}

/** Claude Code's `--permission-mode`. */
export type PermissionMode = 'manual' | 'acceptEdits' | 'auto' | 'bypassPermissions' | 'dontAsk' | 'plan';

/** A configured slot (its `env` is left out). */
export interface SlotInfo {
  args: string[];
  autostart: boolean;
  cols: number;
  command: string;
  cwd: string;
  description: string;
  id: string;
  permissionMode: PermissionMode;
  role: string;
  rows: number;
  trusted: boolean;
  /** Its own git worktree's branch, when it has `workspace: worktree`. */
  workspaceBranch?: string;
  /** The ssh destination it runs on, when not the daemon's machine. */
  host?: string;
}

/** One slot's live state. */
export interface AgentInfo {
  /** On `host` when the slot has one (the pid there). */
  pid: number | null;
  /** The ssh destination it runs on, when not the daemon's machine. */
  host?: string;
  role: string;
  sessionId: string | null;
  since: string | null;
  slotId: string;
  state: SlotState;
}

/** `mission_health` result. */
export interface HealthResult {
  dbPath: string;
  endpoint: string;
  home: string;
  ok: boolean;
  parserDisagreements: number | null;
  pid: number;
  slotsConfigured: number;
  slotsRunning: number;
  uptimeSecs: number;
  version: string;
  warnings: string[];
  /** `ws://127.0.0.1:PORT`, when the WebSocket server listens. */
  webUrl: string | null;
  /** Why slots.yaml could not be used (the last good slots stay), when it could not. */
  configError?: string;
  /** Who started the daemon, its log and how to stop it, when not started by hand. */
  startedBy?: string;
}

/** `mission_reload` result. */
export interface ReloadResult {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
  /** Why the file could not be used: nothing changed. */
  error?: string;
}

/** The answer to the internal `daemon.web_access` method (docs/ipc.md). */
export interface WebAccessResult {
  /** `ws://127.0.0.1:PORT`, when the web server listens. */
  webUrl: string | null;
  /** `http://127.0.0.1:PORT`, when the web server listens. */
  httpUrl: string | null;
  /** The web server's token for this start of the daemon. */
  token: string;
  /** Why the web server is not running, when it is not. */
  error?: string;
}

/** A task id (`t-000123`). */
export type TaskId = string;

/** Where a task is in its life. */
export type TaskStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** A task as the tools report it. */
export interface TaskInfo {
  attempts: number;
  createdAt: string;
  endedAt: string | null;
  error: string | null;
  priority: number;
  prompt: string;
  requestedRole: string | null;
  requestedSlotId: string | null;
  /** The exact text of the agent's turn, once done. */
  result: string | null;
  slotId: string | null;
  startedAt: string | null;
  status: TaskStatus;
  taskId: TaskId;
}

/** `mission_submit` arguments. */
export interface SubmitParams {
  prompt: string;
  role?: string | null;
  slotId?: string | null;
  /** -100..100, higher first (default 0). */
  priority?: number | null;
  /** Start from the base's current head in the slot's worktree (needs slotId). */
  freshWorkspace?: boolean | null;
}

/** `mission_submit` result. */
export interface SubmitResult {
  queuePosition: number | null;
  slotId: string | null;
  status: TaskStatus;
  taskId: TaskId;
}

/** `mission_ask` arguments. */
export interface AskParams {
  prompt: string;
  role?: string | null;
  slotId?: string | null;
  /** 1..3600000 (default 300000), queueing included. */
  timeoutMs?: number | null;
}

/** `mission_ask` result. */
export interface AskResult {
  answer: string;
  durationMs: number;
  slotId: string;
  taskId: TaskId;
}

/** `mission_cancel` result. */
export interface CancelResult {
  interruptedSlot: string | null;
  previousStatus: TaskStatus;
  status: TaskStatus;
  taskId: TaskId;
}

/** What an inbox message is about. */
export type InboxKind =
  | 'task_done'
  | 'task_failed'
  | 'task_retried'
  | 'agent_report'
  | 'agent_done'
  | 'agent_question'
  | 'permission_ask'
  | 'notice';

/** A message in the inbox. */
export interface InboxMessage {
  createdAt: string;
  data: unknown;
  id: number;
  kind: InboxKind;
  read: boolean;
  slotId: string | null;
  taskId: TaskId | null;
  text: string;
}

/** `mission_inbox` arguments. */
export interface InboxParams {
  limit?: number | null;
  markRead?: boolean | null;
  sinceId?: number | null;
  unreadOnly?: boolean | null;
}

/** `mission_inbox` result. */
export interface InboxResult {
  messages: InboxMessage[];
  unread: number;
}

/** Tasks per status. */
export interface TaskCounts {
  cancelled: number;
  done: number;
  failed: number;
  queued: number;
  running: number;
}

/** One slot in `mission_status`. */
export interface SlotActivity {
  autonomous: boolean;
  role: string;
  slotId: string;
  state: SlotState;
  taskId: TaskId | null;
}

/** `mission_status` result. */
export interface StatusResult {
  counts: TaskCounts;
  queued: TaskInfo[];
  recent: TaskInfo[];
  running: TaskInfo[];
  slots: SlotActivity[];
  unreadMessages: number;
}

/** The typed tools: method name to arguments and result. */
export interface ToolMap {
  mission_pty_spawn: { params: { slotId: string }; result: PtySpawnResult };
  mission_pty_send: { params: { slotId: string; message: string; timeoutMs?: number | null }; result: PtySendResult };
  mission_pty_screen: { params: { slotId: string; lines?: number | null }; result: PtyScreenResult };
  mission_pty_confirm: {
    params: { slotId: string; response?: ConfirmResponse; label?: string; text?: string };
    result: PtyConfirmResult;
  };
  mission_pty_interrupt: { params: { slotId: string }; result: PtyInterruptResult };
  mission_pty_kill: { params: { slotId: string }; result: PtyKillResult };
  mission_pty_status: { params: { slotId: string }; result: PtyStatusResult };
  mission_pty_history: { params: { slotId: string; limit?: number | null }; result: PtyHistoryResult };
  mission_pty_logs: { params: { slotId: string; tailBytes?: number | null; raw?: boolean }; result: PtyLogsResult };
  mission_slots: { params: Record<string, never>; result: { slots: SlotInfo[]; configError?: string } };
  mission_reload: { params: Record<string, never>; result: ReloadResult };
  mission_agents: { params: Record<string, never>; result: { agents: AgentInfo[] } };
  mission_health: { params: Record<string, never>; result: HealthResult };
  mission_submit: { params: SubmitParams; result: SubmitResult };
  mission_task: { params: { taskIds: TaskId[] }; result: { tasks: TaskInfo[] } };
  mission_ask: { params: AskParams; result: AskResult };
  mission_cancel: { params: { taskId: TaskId; reason?: string | null }; result: CancelResult };
  mission_status: { params: { recent?: number | null }; result: StatusResult };
  mission_inbox: { params: InboxParams; result: InboxResult };
}

/** A method with typed arguments and result. */
export type ToolName = keyof ToolMap;
