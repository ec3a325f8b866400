//! PTY slot tools: start, prompt, watch, answer dialogs, stop, inspect.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::confirm::ConfirmResponse;
use super::params::SlotParams;
use super::types::{Dialog, DialogOption, SlotState, StatusBar, ToolUse};
use super::{Annotations, Tool};

/// Default and ceiling for `mission_pty_send`'s wait, in milliseconds.
pub const SEND_TIMEOUT_DEFAULT_MS: u64 = 300_000;
/// The longest `timeoutMs` accepted (1 hour).
pub const SEND_TIMEOUT_MAX_MS: u64 = 3_600_000;
/// Default number of turns returned by `mission_pty_history`.
pub const HISTORY_LIMIT_DEFAULT: u32 = 20;
/// Default tail of `mission_pty_logs`, in bytes.
pub const LOGS_TAIL_DEFAULT_BYTES: u64 = 16 * 1024;
/// The largest tail `mission_pty_logs` returns.
pub const LOGS_TAIL_MAX_BYTES: u64 = 1024 * 1024;

// Slot-changing tools act on Claude Code processes that talk to a model and run tools.
const ACTS: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: false,
    idempotent_hint: false,
    open_world_hint: true,
};

/// `mission_pty_spawn`.
pub struct PtySpawn;
/// `mission_pty_send`.
pub struct PtySend;
/// `mission_pty_screen`.
pub struct PtyScreen;
/// `mission_pty_confirm`.
pub struct PtyConfirm;
/// `mission_pty_interrupt`.
pub struct PtyInterrupt;
/// `mission_pty_kill`.
pub struct PtyKill;
/// `mission_pty_status`.
pub struct PtyStatus;
/// `mission_pty_history`.
pub struct PtyHistory;
/// `mission_pty_logs`.
pub struct PtyLogs;

/// Result of `mission_pty_spawn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PtySpawnResult {
    /// The slot.
    pub slot_id: String,
    /// Its state after start-up (normally `Idle`; `Confirming` if a start-up dialog
    /// could not be answered automatically).
    pub state: SlotState,
    /// The Claude Code process id.
    pub pid: Option<u32>,
    /// The Claude Code session id (names its transcript).
    pub session_id: Option<String>,
    /// True when the slot was already running and nothing was started.
    pub already_running: bool,
    /// The open dialog, when `state` is `Confirming`.
    pub dialog: Option<Dialog>,
}

impl Tool for PtySpawn {
    const NAME: &'static str = "mission_pty_spawn";
    const TITLE: &'static str = "Start a slot";
    const DESCRIPTION: &'static str = "Start the Claude Code agent of a configured slot \
        in its own terminal and wait until it is ready for a prompt. Use it before \
        mission_pty_send; calling it on a running slot does nothing and says so \
        (alreadyRunning). Returns the state (normally Idle), the process id and the \
        session id. If the state is Confirming, a start-up dialog needs an answer: \
        see `dialog` and use mission_pty_confirm.";
    const ANNOTATIONS: Annotations = Annotations {
        idempotent_hint: true,
        ..ACTS
    };
    type Params = SlotParams;
    type Output = PtySpawnResult;
}

/// Arguments of `mission_pty_send`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PtySendParams {
    /// The slot's id.
    pub slot_id: String,
    /// The prompt to type into the agent, as a user would (may span lines).
    #[schemars(length(min = 1))]
    pub message: String,
    /// How long to wait for the turn to end, in milliseconds (default 300000, at most
    /// 3600000). The turn keeps running after a timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3_600_000))]
    pub timeout_ms: Option<u64>,
}

/// Result of `mission_pty_send`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PtySendResult {
    /// The agent's answer text (for a turn interrupted by a dialog: the text so far).
    pub answer: String,
    /// The state when the call returned: `Idle` after a finished turn, `Confirming`
    /// when a dialog waits, `Error` when the turn ended in an error.
    pub state: SlotState,
    /// Time from sending the prompt to returning, in milliseconds.
    pub duration_ms: u64,
    /// The dialog waiting for an answer, when `state` is `Confirming`.
    pub dialog: Option<Dialog>,
    /// Tool calls the agent made during the turn, in order.
    #[serde(default)]
    pub tools_used: Vec<ToolUse>,
    /// True when the turn was interrupted (mission_pty_interrupt) before it finished:
    /// `answer` is then what was written so far.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

impl Tool for PtySend {
    const NAME: &'static str = "mission_pty_send";
    const TITLE: &'static str = "Prompt a slot and wait for its answer";
    const DESCRIPTION: &'static str = "Send a prompt to a running, idle slot and wait \
        until its turn ends, then return the answer text, the final state and the time \
        taken. If the agent stops to ask permission for a tool, the call returns early \
        with state Confirming and the `dialog`: answer it with mission_pty_confirm, then \
        read the rest with mission_pty_screen or wait with mission_pty_status. Fails with \
        slot_busy if the slot is mid-turn, slot_not_running if it was never spawned, and \
        timeout after timeoutMs (the turn keeps running; check it later).";
    const ANNOTATIONS: Annotations = ACTS;
    type Params = PtySendParams;
    type Output = PtySendResult;
}

/// Arguments of `mission_pty_screen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PtyScreenParams {
    /// The slot's id.
    pub slot_id: String,
    /// Return only the last N lines of the screen (default: the whole screen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub lines: Option<u32>,
}

/// A cursor position, 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CursorPos {
    /// Row from the top.
    pub row: u16,
    /// Column from the left.
    pub col: u16,
}

/// Result of `mission_pty_screen`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PtyScreenResult {
    /// The slot.
    pub slot_id: String,
    /// The state read from the screen.
    pub state: SlotState,
    /// The visible text, one line per screen row, trailing spaces trimmed.
    pub screen: String,
    /// Terminal width in columns.
    pub cols: u16,
    /// Terminal height in rows.
    pub rows: u16,
    /// The cursor, when visible.
    pub cursor: Option<CursorPos>,
}

impl Tool for PtyScreen {
    const NAME: &'static str = "mission_pty_screen";
    const TITLE: &'static str = "Read a slot's screen";
    const DESCRIPTION: &'static str = "Return the text currently shown in a running \
        slot's terminal, with the state read from it. Use it to see progress during a \
        long turn, what a dialog shows, or what happened after a timeout. Changes \
        nothing.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = PtyScreenParams;
    type Output = PtyScreenResult;
}

/// Arguments of `mission_pty_confirm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PtyConfirmParams {
    /// The slot's id.
    pub slot_id: String,
    /// "yes" (allow once), "no" (refuse), "always" (allow and stop asking), or the
    /// number of an option shown in the dialog. Give exactly one of `response`,
    /// `label` and `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ConfirmResponse>,
    /// The label of the option to choose, as shown (case and surrounding spaces do not
    /// matter): the way to pick one answer of a question the agent asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// An answer in your own words, for a question dialog with a free-text option
    /// (`Type something.`): typed into that option, then submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// How a `mission_pty_confirm` call answers, once its arguments are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmAnswer {
    /// By meaning or option number.
    Response(ConfirmResponse),
    /// The option with this label.
    Label(String),
    /// Free text, typed into the free-text option.
    Text(String),
}

impl PtyConfirmParams {
    /// The one answer given, or why the arguments do not make one.
    pub fn answer(&self) -> Result<ConfirmAnswer, String> {
        let given = [
            self.response.is_some(),
            self.label.is_some(),
            self.text.is_some(),
        ];
        match given.iter().filter(|g| **g).count() {
            1 => {}
            0 => return Err("give one of response, label or text".into()),
            _ => return Err("give only one of response, label and text".into()),
        }
        if let Some(r) = self.response {
            return Ok(ConfirmAnswer::Response(r));
        }
        if let Some(label) = &self.label {
            let label = label.trim();
            if label.is_empty() {
                return Err("label is empty".into());
            }
            return Ok(ConfirmAnswer::Label(label.to_string()));
        }
        let text = self.text.as_deref().unwrap_or_default();
        if text.trim().is_empty() {
            return Err("text is empty".into());
        }
        if text.contains(['\r', '\n']) {
            return Err("text must be one line (the dialog's free-text option takes one)".into());
        }
        Ok(ConfirmAnswer::Text(text.to_string()))
    }
}

/// Result of `mission_pty_confirm`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PtyConfirmResult {
    /// The slot.
    pub slot_id: String,
    /// The option that was chosen.
    pub chosen: DialogOption,
    /// The state after answering (often `ToolRunning` or `Thinking`).
    pub state: SlotState,
}

impl Tool for PtyConfirm {
    const NAME: &'static str = "mission_pty_confirm";
    const TITLE: &'static str = "Answer a slot's dialog";
    const DESCRIPTION: &'static str = "Answer the dialog open on a slot (a tool \
        permission prompt, a question the agent asks, its plan, or a start-up question): \
        response \"yes\" allows once, \"always\" allows and stops asking, \"no\" refuses, \
        or pass an option number from the dialog; or label: an option's label; or text: \
        your own answer to a question (typed into its free-text option). The option is \
        chosen by its meaning, not its position. Returns the option chosen and \
        the new state; it does not wait for the turn to finish (use mission_pty_status \
        or mission_pty_screen). Fails with no_dialog_open when nothing is asking.";
    const ANNOTATIONS: Annotations = Annotations {
        destructive_hint: true,
        ..ACTS
    };
    type Params = PtyConfirmParams;
    type Output = PtyConfirmResult;
}

/// Result of `mission_pty_interrupt` and other calls that only report a state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotStateResult {
    /// The slot.
    pub slot_id: String,
    /// Its state after the call.
    pub state: SlotState,
}

impl Tool for PtyInterrupt {
    const NAME: &'static str = "mission_pty_interrupt";
    const TITLE: &'static str = "Interrupt a slot's turn";
    const DESCRIPTION: &'static str = "Stop what a slot's agent is doing, as pressing \
        Esc would: the current turn ends (a waiting mission_pty_send returns) and the \
        agent waits for a new prompt. The session and its history are kept. Returns the \
        state afterwards.";
    const ANNOTATIONS: Annotations = Annotations {
        destructive_hint: true,
        idempotent_hint: true,
        ..ACTS
    };
    type Params = SlotParams;
    type Output = SlotStateResult;
}

/// Result of `mission_pty_kill`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PtyKillResult {
    /// The slot.
    pub slot_id: String,
    /// False when the slot was not running (nothing was done).
    pub was_running: bool,
    /// The process's exit code, when it exited normally.
    pub exit_code: Option<i32>,
}

impl Tool for PtyKill {
    const NAME: &'static str = "mission_pty_kill";
    const TITLE: &'static str = "Stop a slot";
    const DESCRIPTION: &'static str = "End a slot's Claude Code process and close its \
        terminal. Work in progress in that turn is lost; the transcript and the \
        recorded history stay. Killing a stopped slot does nothing (wasRunning false). \
        Start it again with mission_pty_spawn.";
    const ANNOTATIONS: Annotations = Annotations {
        destructive_hint: true,
        idempotent_hint: true,
        open_world_hint: false,
        ..ACTS
    };
    type Params = SlotParams;
    type Output = PtyKillResult;
}

/// Result of `mission_pty_status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PtyStatusResult {
    /// The slot.
    pub slot_id: String,
    /// What it is doing.
    pub state: SlotState,
    /// When it entered that state (RFC 3339, UTC).
    pub since: String,
    /// The spinner and footer, while running.
    pub status_bar: Option<StatusBar>,
    /// The open dialog, when `state` is `Confirming`.
    pub dialog: Option<Dialog>,
    /// The process id, while running.
    pub pid: Option<u32>,
    /// The Claude Code session id, once known.
    pub session_id: Option<String>,
    /// The working folder (in the slot's worktree when it has a workspace).
    pub cwd: String,
    /// The slot's role.
    pub role: String,
    /// What the screen alone reads, while running. It differs from `state` when Claude
    /// Code's hooks overrule a reading that disagreed with them for too long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_state: Option<SlotState>,
    /// How often, since the process started, the screen and the hooks disagreed for too
    /// long (each time is logged by the daemon as a screen reader bug report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parser_disagreements: Option<u64>,
    /// The tool running now, with a one-line summary of its argument (the command, the
    /// path), while `state` is `ToolRunning` and Claude Code's `PreToolUse` hook named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_tool: Option<ToolUse>,
    /// What Claude Code's own status file (`sessions/<pid>.json`, one of the signals the
    /// state is merged from) last said: `idle`, `busy`, `waiting`, `shell`; for a remote
    /// slot, as the runner streamed it from the host. Absent until it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_file: Option<String>,
}

impl Tool for PtyStatus {
    const NAME: &'static str = "mission_pty_status";
    const TITLE: &'static str = "A slot's state";
    const DESCRIPTION: &'static str = "Report one slot's state (Idle, Thinking, \
        Responding, ToolRunning, Confirming, Error, Stopped, ...), since when, the \
        status bar, any open dialog, process and session ids, folder and role. Cheap: \
        use it to poll a slot after a timeout or a confirm. Works on stopped slots too.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = SlotParams;
    type Output = PtyStatusResult;
}

/// Arguments of `mission_pty_history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PtyHistoryParams {
    /// The slot's id.
    pub slot_id: String,
    /// How many of the latest turns to return (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

/// One recorded prompt and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TurnSummary {
    /// The Claude Code session it belonged to.
    pub session_id: Option<String>,
    /// The prompt sent.
    pub prompt: String,
    /// The answer, once the turn ended.
    pub answer: Option<String>,
    /// The state the turn ended in (`Idle`, `Error`, `Confirming` ...).
    pub end_state: Option<SlotState>,
    /// Tool calls made during the turn.
    #[serde(default)]
    pub tools_used: Vec<ToolUse>,
    /// When the prompt was sent (RFC 3339, UTC).
    pub started_at: String,
    /// When the turn ended (RFC 3339, UTC).
    pub ended_at: Option<String>,
}

/// Result of `mission_pty_history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PtyHistoryResult {
    /// The slot.
    pub slot_id: String,
    /// The latest turns, oldest first.
    pub turns: Vec<TurnSummary>,
}

impl Tool for PtyHistory {
    const NAME: &'static str = "mission_pty_history";
    const TITLE: &'static str = "A slot's recent turns";
    const DESCRIPTION: &'static str = "List the latest prompts sent to a slot through \
        missiond and their answers, end states and tool calls, oldest first, across \
        restarts of the slot. Use it to recall what an agent was already asked and \
        said.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = PtyHistoryParams;
    type Output = PtyHistoryResult;
}

/// Arguments of `mission_pty_logs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PtyLogsParams {
    /// The slot's id.
    pub slot_id: String,
    /// How many bytes from the end of the log to return (default 16384, at most
    /// 1048576).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_048_576))]
    pub tail_bytes: Option<u64>,
    /// Return the output as it was written, terminal control sequences included,
    /// instead of rendered as text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub raw: bool,
}

/// Result of `mission_pty_logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PtyLogsResult {
    /// The slot.
    pub slot_id: String,
    /// The log file.
    pub path: String,
    /// The end of the log: what a person watching saw (every line that left the
    /// screen, then the final screen) as plain text; with `raw`, the output bytes as
    /// written (decoded as UTF-8).
    pub text: String,
    /// True when the log is longer than what was returned.
    pub truncated: bool,
    /// The log's full size in bytes.
    pub total_bytes: u64,
    /// The number of the log's last line when it was cut short (the log stopped while
    /// writing it, e.g. on a full disk) and so skipped; absent when the log is whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_line: Option<u64>,
}

impl Tool for PtyLogs {
    const NAME: &'static str = "mission_pty_logs";
    const TITLE: &'static str = "A slot's terminal log";
    const DESCRIPTION: &'static str = "Return the end of a slot's terminal log as a \
        person watching saw it: every line that left the screen, then the last screen, \
        as plain text, each redraw shown once (raw: the bytes as written, control \
        sequences included). Use it to debug a slot that failed to start or behaved \
        oddly; for the current view use mission_pty_screen.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = PtyLogsParams;
    type Output = PtyLogsResult;
}

/// `mission_pty_screenshot`.
pub struct PtyScreenshot;

/// The default and accepted range of `mission_pty_screenshot`'s `scale`.
pub const SCREENSHOT_SCALE_DEFAULT: f64 = 1.0;
/// Smallest `scale` accepted.
pub const SCREENSHOT_SCALE_MIN: f64 = 0.5;
/// Largest `scale` accepted.
pub const SCREENSHOT_SCALE_MAX: f64 = 4.0;

/// Arguments of `mission_pty_screenshot`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PtyScreenshotParams {
    /// The slot's id.
    pub slot_id: String,
    /// Image scale: 1 draws 14-pixel text (about 1080x680 pixels for 120x40), 2 doubles
    /// it (default 1, from 0.5 to 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.5, max = 4.0))]
    pub scale: Option<f64>,
}

/// Result of `mission_pty_screenshot`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PtyScreenshotResult {
    /// The slot.
    pub slot_id: String,
    /// The state read from the screen.
    pub state: SlotState,
    /// Always `image/png`.
    pub mime_type: String,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
    /// Terminal width in columns.
    pub cols: u16,
    /// Terminal height in rows.
    pub rows: u16,
    /// The PNG, base64. Over MCP it is sent as image content instead, and left out here.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub data: String,
}

impl Tool for PtyScreenshot {
    const NAME: &'static str = "mission_pty_screenshot";
    const TITLE: &'static str = "Picture a slot's screen";
    const DESCRIPTION: &'static str = "Return a PNG image of a running slot's terminal \
        as a person would see it: colours, highlighted selections, dialogs, diffs, with \
        the state read from the screen. Use it when layout or colour matters (which \
        option is highlighted, what a diff marks red); for the words alone \
        mission_pty_screen is cheaper. `scale` enlarges the image (default 1). Changes \
        nothing.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = PtyScreenshotParams;
    type Output = PtyScreenshotResult;
}
