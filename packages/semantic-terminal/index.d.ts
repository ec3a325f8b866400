/**
 * `@missiond/semantic-terminal`: reads Claude Code's terminal the way a person would.
 *
 * Feed it the bytes a Claude Code process writes to its pseudo-terminal, each with the
 * time it arrived (seconds since an origin you pick); read its state, the open dialog,
 * the status bar, the screen as text, and the events announced since you last asked.
 * Pure: no I/O, no timers of its own, so a recording replays exactly as it ran live.
 *
 * ```ts
 * const term = new SemanticTerminal(120, 40);
 * pty.onData((data) => {
 *   term.feed(performance.now() / 1000, data);
 *   pty.write(term.takeReplies());        // Claude Code waits for some answers
 *   for (const event of term.drainEvents()) console.log(event);
 * });
 * ```
 * After each `feed`, arm a timer for `nextDeadline()` and call `advance(t)` when it fires:
 * states are announced once they held for the debounce time.
 *
 * The unions `State`, `DialogKind` and `OptionMeaning` are generated from the Rust enums
 * (as are `@missiond/core`'s): edit the enums, then run
 * `UPDATE_TYPES=1 cargo test -p missiond-core --test ts_unions`.
 */

/** What the agent is doing, read from its screen. */
export type State =
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

/** What choosing an option means, so it can be answered by meaning. */
export type OptionMeaning =
  | 'yes'
  | 'yes_always'
  | 'no'
  | 'other'
  | 'free_text';

/** One option of a dialog, in screen order. */
export interface DialogOption {
  /** The number shown before the label (`1.`), if any. */
  number: number | null;
  /** The label as shown, without number and selection marker. */
  label: string;
  meaning: OptionMeaning;
  /** Whether the selection marker (`❯`) is on it. */
  selected: boolean;
  /** The text under the label (question dialogs describe each answer). */
  description?: string;
}

/** A parsed dialog. */
export interface Dialog {
  kind: DialogKind;
  /** The title line (`Bash command`, `Create file`, ...). */
  title: string;
  /** The tool the dialog is about (`Bash`, `Write`, `mcp__x__y`, ...). */
  tool: string | null;
  /** The shell command, for Bash dialogs. */
  command: string | null;
  /** The file path for file dialogs, the URL for fetches. */
  target: string | null;
  /** Lines between the title and the question, trimmed. */
  details: string[];
  /** The question (`Do you want to proceed?`). */
  question: string;
  options: DialogOption[];
}

/** A subagent running in the background, as the panel under the footer shows it. */
export interface Subagent {
  kind: string;
  description: string;
  elapsedSecs: number | null;
}

/** The status line above the input box while Claude Code works, plus the footer. */
export interface StatusBar {
  spinner: string | null;
  verb: string | null;
  elapsedSecs: number | null;
  tokens: number | null;
  /** Whether `esc to interrupt` shows. */
  interruptible: boolean;
  /** The permission mode the footer names (`manual`, `accept edits`, ...). */
  permissionMode: string | null;
  contextLeftPercent: number | null;
  footer: string | null;
  /** Present while subagents run: the turn is not over though the input box is free. */
  subagents?: Subagent[];
  /** Background agents the turn says it waits for. */
  waitingForAgents?: number;
}

/** The terminal title (OSC 0 or 2). */
export interface Title {
  raw: string;
  /** Without a leading status glyph. */
  text: string;
  /** Whether the glyph says Claude Code is working, when it says anything. */
  working: boolean | null;
}

/** Output of a tool call, tied to its call. */
export interface ToolOutput {
  /** The call line as shown (`Bash(ls -la)`). */
  call: string;
  tool: string | null;
  args: string | null;
  /** The output lines shown under the call, joined with `\n`. */
  output: string;
  /** Drawn in a box rather than inline after `⎿`. */
  boxed: boolean;
}

/** An event and the time (seconds, to the millisecond) it was announced. */
export type TerminalEvent =
  | { t: number; event: 'state'; state: State; prev: State }
  | { t: number; event: 'confirm'; prompt: string; info: Dialog }
  | { t: number; event: 'status'; status: StatusBar }
  | { t: number; event: 'tool_output'; output: ToolOutput }
  | { t: number; event: 'title'; title: Title }
  /** A turn finished: the answer as read from the screen (best effort). */
  | { t: number; event: 'text'; text: string };

/** Options of a new terminal; each defaults to the library's. */
export interface TerminalOptions {
  /** Seconds a new state must hold before it is announced (default 0.15). */
  debounce?: number;
  /** Lines of scrollback kept (default 10000). */
  scrollbackLines?: number;
  /** Detection rules as JSON (the crate's `src/rules.json` format), replacing the built-in ones. */
  rules?: string;
}

/** The size to replay at instead of the recording header's. */
export interface ReplayOptions {
  cols?: number;
  rows?: number;
}

export interface Cursor {
  row: number;
  col: number;
  visible: boolean;
}

export interface Size {
  cols: number;
  rows: number;
}

/** One Claude Code terminal being read. Methods throw on bad input (size 0, a time that is not finite). */
export declare class SemanticTerminal {
  /** A blank terminal of `cols` x `rows` cells; throws when `options.rules` do not load. */
  constructor(cols: number, rows: number, options?: TerminalOptions | null);
  /** Feeds what the program wrote at time `t` (a string is sent as UTF-8). */
  feed(t: number, data: Uint8Array | string): void;
  /** Lets time run to `t` with no output (call it when `nextDeadline()` is reached). */
  advance(t: number): void;
  /** When to call `advance` next, or null when no timer is needed. */
  nextDeadline(): number | null;
  resize(t: number, cols: number, rows: number): void;
  /** The program exited at `t`: the state becomes `Exited`. */
  markExited(t: number): void;
  /** Events announced since the last call, oldest first. */
  drainEvents(): TerminalEvent[];
  /** Answers to the program's terminal queries, to write back to it (may be empty). */
  takeReplies(): Buffer;
  /** The announced (debounced) state. */
  state(): State;
  /** When the announced state began. */
  stateSince(): number;
  /** The state read from the screen right now, before debouncing. */
  rawState(): State;
  /** The open dialog, or null. */
  confirm(): Dialog | null;
  /** The status bar as last read, or null before any. */
  status(): StatusBar | null;
  title(): Title | null;
  /** The visible screen as text, one line per row. */
  screenText(): string;
  screenLines(): string[];
  /** Up to `maxLines` of the scrollback above the screen, oldest first. */
  scrollbackLines(maxLines: number): string[];
  cursor(): Cursor;
  size(): Size;
}

/**
 * Every event of a recording (the JSON lines `missiond record` writes), replayed at its
 * header's size unless `options` give one: the events `missiond replay` prints. Throws,
 * naming the line, when the recording does not parse.
 */
export declare function replay(recording: string, options?: ReplayOptions | null): TerminalEvent[];

/** The terminal as it stood at time `t` of a recording. */
export declare function terminalAt(recording: string, t: number, options?: ReplayOptions | null): SemanticTerminal;
