//! One prompt and its answer. A turn begins when the daemon types a prompt and ends on
//! the first of: a `Stop` hook (exact answer in `last_assistant_message`), the screen
//! settling back to idle or error for a grace period after work was seen (answer read
//! from the transcript), or the process exiting.

use std::time::{Duration, Instant, SystemTime};

use missiond_core::catalogue::ToolUse;
use semantic_terminal::State;
use serde::Serialize;

use super::transcript::{self, TranscriptCursor};

/// How long the screen must show a settled state before the daemon stops waiting for a
/// `Stop` hook and takes the answer from the transcript instead.
pub const SETTLE_GRACE: Duration = Duration::from_millis(2000);

/// How long a typed prompt may go without Claude Code taking it up before the turn is
/// considered lost.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// Where a turn's answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerSource {
    /// The `Stop` hook's `last_assistant_message`.
    StopHook,
    /// Claude Code's transcript file.
    Transcript,
}

/// How a turn ended.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub answer: Option<String>,
    pub source: Option<AnswerSource>,
    /// The slot's state when the turn ended (`Idle`, `Error`, `Exited`, ...).
    pub end_state: State,
    pub tools: Vec<ToolUse>,
    /// Ended by an interrupt (`mission_pty_interrupt`) rather than by finishing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    #[serde(skip)]
    pub ended_at: SystemTime,
}

/// A turn in progress or just finished.
#[derive(Debug)]
pub struct Turn {
    /// Counts turns within one slot process, so a waiter knows its own turn.
    pub seq: u64,
    pub started_at: SystemTime,
    /// Row id in the store, once recorded.
    pub record_id: Option<i64>,
    pub cursor: TranscriptCursor,
    /// Claude Code took the prompt: a `UserPromptSubmit` hook or a working state was seen.
    pub began: bool,
    /// Tools named by `PreToolUse` hooks.
    pub hook_tools: Vec<ToolUse>,
    /// The `permission_ask` inbox message a `PreToolUse` hook posted in this turn and
    /// no task has claimed yet (a task held up by the dialog takes it over).
    pub ask_message: Option<i64>,
    /// When the screen last became idle or errored during this turn.
    pub settled_since: Option<Instant>,
    pub outcome: Option<Outcome>,
    /// How the typed prompt starts in Claude Code's input box, to tell a prompt whose
    /// Enter was lost (it still sits there) from one that was taken.
    pub typed_head: String,
}

impl Turn {
    /// A new turn whose transcript is read from its current end.
    pub fn new(seq: u64, cursor: TranscriptCursor) -> Self {
        Turn {
            seq,
            started_at: SystemTime::now(),
            record_id: None,
            cursor,
            began: false,
            hook_tools: Vec::new(),
            ask_message: None,
            settled_since: None,
            outcome: None,
            typed_head: String::new(),
        }
    }

    /// Whether the turn is still waiting for its end.
    pub fn is_open(&self) -> bool {
        self.outcome.is_none()
    }

    /// Open, yet never taken up by Claude Code for [`STALE_AFTER`].
    pub fn is_stale(&self) -> bool {
        self.is_open()
            && !self.began
            && self.started_at.elapsed().is_ok_and(|age| age > STALE_AFTER)
    }

    /// Follow the screen: note work and settling.
    pub fn on_state(&mut self, state: State, now: Instant) {
        if !self.is_open() {
            return;
        }
        if state.is_working() || state == State::Confirming {
            self.began = true;
            self.settled_since = None;
        } else if matches!(state, State::Idle | State::Error) && self.began {
            self.settled_since.get_or_insert(now);
        } else {
            self.settled_since = None;
        }
    }

    /// When the settle fallback fires, if it is armed.
    pub fn settle_deadline(&self) -> Option<Instant> {
        if !self.is_open() {
            return None;
        }
        self.settled_since.map(|t| t + SETTLE_GRACE)
    }

    /// End the turn with `answer` from a `Stop` hook (or the transcript when the hook
    /// carried none).
    pub fn finish_from_hook(&mut self, answer: Option<String>, state: State) {
        let record = transcript::summarize(&self.cursor.read_since());
        let (answer, source) = match answer {
            Some(a) => (Some(a), Some(AnswerSource::StopHook)),
            None => (
                record.answer.clone(),
                record.answer.as_ref().map(|_| AnswerSource::Transcript),
            ),
        };
        self.finish(answer, source, record.tools, state);
    }

    /// End the turn reading the answer from the transcript.
    pub fn finish_from_transcript(&mut self, state: State) {
        let record = transcript::summarize(&self.cursor.read_since());
        let source = record.answer.as_ref().map(|_| AnswerSource::Transcript);
        self.finish(record.answer, source, record.tools, state);
    }

    fn finish(
        &mut self,
        answer: Option<String>,
        source: Option<AnswerSource>,
        transcript_tools: Vec<ToolUse>,
        end_state: State,
    ) {
        if !self.is_open() {
            return;
        }
        // The transcript is the fuller record of tools; hooks cover a transcript not yet
        // flushed.
        let tools = if transcript_tools.is_empty() {
            self.hook_tools.clone()
        } else {
            transcript_tools
        };
        self.outcome = Some(Outcome {
            answer,
            source,
            end_state,
            tools,
            interrupted: false,
            ended_at: SystemTime::now(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn() -> Turn {
        Turn::new(1, TranscriptCursor::at_end(Vec::new()))
    }

    #[test]
    fn idle_before_any_work_does_not_arm_the_fallback() {
        let mut t = turn();
        let now = Instant::now();
        t.on_state(State::Idle, now);
        assert_eq!(t.settle_deadline(), None);
        t.on_state(State::Thinking, now);
        t.on_state(State::Idle, now);
        assert_eq!(t.settle_deadline(), Some(now + SETTLE_GRACE));
        t.on_state(State::Responding, now);
        assert_eq!(t.settle_deadline(), None);
    }

    #[test]
    fn without_a_hook_answer_the_transcript_written_during_the_turn_answers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let old =
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"old turn"}]}}"#;
        std::fs::write(&path, format!("{old}\n")).unwrap();
        let mut t = Turn::new(2, TranscriptCursor::at_end(vec![path.clone()]));
        let new = [
            r#"{"type":"user","message":{"content":"next"}}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"tool_use","name":"Read","input":{"file_path":"/a"}}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result"}]}}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"new answer"}]}}"#,
        ];
        std::fs::write(&path, format!("{old}\n{}\n", new.join("\n"))).unwrap();
        t.finish_from_hook(None, State::Idle);
        let o = t.outcome.unwrap();
        assert_eq!(o.answer.as_deref(), Some("new answer"));
        assert_eq!(o.source, Some(AnswerSource::Transcript));
        assert_eq!(o.tools[0].summary.as_deref(), Some("/a"));
    }

    #[test]
    fn hook_answer_wins_and_a_finished_turn_stays_finished() {
        let mut t = turn();
        t.hook_tools.push(transcript::tool_use("Bash", None));
        t.finish_from_hook(Some("exact".into()), State::Idle);
        let o = t.outcome.clone().unwrap();
        assert_eq!(o.answer.as_deref(), Some("exact"));
        assert_eq!(o.source, Some(AnswerSource::StopHook));
        assert_eq!(o.tools[0].tool, "Bash");
        t.finish_from_transcript(State::Exited);
        assert_eq!(t.outcome.unwrap().end_state, State::Idle);
    }
}
