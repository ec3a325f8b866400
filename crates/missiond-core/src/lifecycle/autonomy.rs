//! The guard rails of an autonomous run: a slot is given a goal and works turn after turn
//! until it reports the goal done (or asks a question) through `mission_report`, or a
//! limit is reached. The role's permissions still apply to every tool call; this state
//! machine only decides whether another turn is started.
//!
//! The daemon sends the prompt of [`Autonomy::start`], then feeds [`Autonomy::next`]
//! with what happens: the end of each turn, the agent's reports, a timer firing at
//! [`Autonomy::deadline`], an error. Each answer is a prompt to send or a reason to stop,
//! to be reported to the inbox.

use std::time::{Duration, Instant};

/// How far an autonomous run may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutonomyLimits {
    /// Turns (prompts sent), the first included.
    pub max_turns: u32,
    /// Time from the start.
    pub max_duration: Duration,
}

/// Something that happened during a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutonomyEvent {
    /// A turn finished (the slot is idle again).
    TurnEnded,
    /// The agent called `mission_report` with kind `done`.
    ReportedDone(String),
    /// The agent called `mission_report` with kind `question`.
    ReportedQuestion(String),
    /// The run's deadline passed.
    Timeout,
    /// The slot failed (crashed, gave up restarting, turn ended in an API error ...).
    Error(String),
    /// Someone ended the run (`mission_autonomous_stop`).
    Cancelled,
}

/// Why a run stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// The agent reported the goal done, with its summary.
    Done(String),
    /// The agent needs an answer: a pause, not the end. No turn is prompted until
    /// [`Autonomy::answer`] resumes the run; the time limit, errors and cancelling still
    /// end it meanwhile.
    Question(String),
    /// The turn limit was reached.
    MaxTurns(u32),
    /// The time limit was reached.
    TimeLimit(Duration),
    /// The slot failed.
    Error(String),
    /// Someone ended the run.
    Cancelled,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Done(text) => write!(f, "done: {text}"),
            StopReason::Question(text) => write!(f, "question: {text}"),
            StopReason::MaxTurns(n) => write!(f, "stopped after the limit of {n} turns"),
            StopReason::TimeLimit(d) => {
                write!(f, "stopped at the time limit of {}s", d.as_secs())
            }
            StopReason::Error(text) => write!(f, "stopped by an error: {text}"),
            StopReason::Cancelled => f.write_str("stopped on request"),
        }
    }
}

/// What the daemon does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Type this prompt into the slot (once it is idle).
    SendPrompt(String),
    /// Nothing to send now: wait for the current turn to end.
    Wait,
    /// The run is over; report the reason to the inbox (and interrupt a running turn).
    Stop(StopReason),
}

/// One autonomous run.
#[derive(Debug, Clone)]
pub struct Autonomy {
    goal: String,
    limits: AutonomyLimits,
    started: Instant,
    turns_taken: u32,
    stopped: Option<StopReason>,
}

impl Autonomy {
    /// Starts a run at `now`; the returned step holds the first prompt (one turn taken).
    /// A zero turn limit stops at once.
    pub fn start(goal: impl Into<String>, limits: AutonomyLimits, now: Instant) -> (Self, Step) {
        let mut run = Autonomy {
            goal: goal.into(),
            limits,
            started: now,
            turns_taken: 0,
            stopped: None,
        };
        let step = run.take_turn(now, |run| run.first_prompt());
        (run, step)
    }

    /// The goal.
    pub fn goal(&self) -> &str {
        &self.goal
    }

    /// The limits.
    pub fn limits(&self) -> AutonomyLimits {
        self.limits
    }

    /// When the run started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Prompts sent so far, the first included.
    pub fn turns_taken(&self) -> u32 {
        self.turns_taken
    }

    /// When the daemon should send [`AutonomyEvent::Timeout`].
    pub fn deadline(&self) -> Instant {
        self.started + self.limits.max_duration
    }

    /// Why the run stopped or paused, if it did.
    pub fn stopped(&self) -> Option<&StopReason> {
        self.stopped.as_ref()
    }

    /// Whether the run is over for good (stopped, and not just waiting for an answer).
    pub fn is_over(&self) -> bool {
        !matches!(self.stopped, None | Some(StopReason::Question(_)))
    }

    /// The next step after `event` at `now`. Once over, every event gets the same `Stop`
    /// back; while paused on a question, only the time limit, an error or cancelling
    /// change that (see [`Autonomy::answer`] to resume).
    pub fn next(&mut self, event: AutonomyEvent, now: Instant) -> Step {
        if let Some(reason) = &self.stopped {
            let paused = matches!(reason, StopReason::Question(_));
            return match event {
                AutonomyEvent::Timeout if paused && now >= self.deadline() => {
                    self.stop(StopReason::TimeLimit(self.limits.max_duration))
                }
                AutonomyEvent::Error(text) if paused => self.stop(StopReason::Error(text)),
                AutonomyEvent::Cancelled if paused => self.stop(StopReason::Cancelled),
                _ => Step::Stop(reason.clone()),
            };
        }
        match event {
            AutonomyEvent::TurnEnded => self.take_turn(now, |run| run.follow_up_prompt()),
            AutonomyEvent::ReportedDone(text) => self.stop(StopReason::Done(text)),
            AutonomyEvent::ReportedQuestion(text) => self.stop(StopReason::Question(text)),
            AutonomyEvent::Timeout if now >= self.deadline() => {
                self.stop(StopReason::TimeLimit(self.limits.max_duration))
            }
            // A timer that fired early (clock skew, an old timer): keep going.
            AutonomyEvent::Timeout => Step::Wait,
            AutonomyEvent::Error(text) => self.stop(StopReason::Error(text)),
            AutonomyEvent::Cancelled => self.stop(StopReason::Cancelled),
        }
    }

    /// Resumes a run stopped by a question with a person's `answer`, if the limits allow
    /// another turn; otherwise the step says why not.
    pub fn answer(&mut self, answer: &str, now: Instant) -> Step {
        match &self.stopped {
            Some(StopReason::Question(_)) => {
                self.stopped = None;
                self.take_turn(now, |run| run.answer_prompt(answer))
            }
            Some(reason) => Step::Stop(reason.clone()),
            None => Step::Wait,
        }
    }

    /// Starts another turn with `prompt` if the limits allow it.
    fn take_turn(&mut self, now: Instant, prompt: impl FnOnce(&Self) -> String) -> Step {
        if now >= self.deadline() {
            return self.stop(StopReason::TimeLimit(self.limits.max_duration));
        }
        if self.turns_taken >= self.limits.max_turns {
            return self.stop(StopReason::MaxTurns(self.limits.max_turns));
        }
        self.turns_taken += 1;
        Step::SendPrompt(prompt(self))
    }

    fn stop(&mut self, reason: StopReason) -> Step {
        self.stopped = Some(reason.clone());
        Step::Stop(reason)
    }

    fn limits_text(&self) -> String {
        let minutes = self.limits.max_duration.as_secs().div_ceil(60);
        format!(
            "This is turn {} of at most {}; about {minutes} minutes are allowed in all.",
            self.turns_taken, self.limits.max_turns
        )
    }

    fn first_prompt(&self) -> String {
        format!(
            "You are working on your own towards this goal:\n\n{goal}\n\n\
             No person is watching these turns. When the goal is reached, call the \
             mission_report tool with kind \"done\" and a short summary of the result. \
             If you cannot go on without a person's decision, call mission_report with \
             kind \"question\" and ask it. You may call it with kind \"progress\" to \
             report a milestone. Until you report done, you will be asked to continue. {}",
            self.limits_text(),
            goal = self.goal,
        )
    }

    fn follow_up_prompt(&self) -> String {
        format!(
            "Continue towards the goal. When it is reached, call mission_report with kind \
             \"done\" and a summary; if you are blocked, call it with kind \"question\". {}",
            self.limits_text()
        )
    }

    fn answer_prompt(&self, answer: &str) -> String {
        format!(
            "A person answered your question:\n\n{answer}\n\nContinue towards the goal and \
             call mission_report with kind \"done\" when it is reached. {}",
            self.limits_text()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(turns: u32, secs: u64) -> AutonomyLimits {
        AutonomyLimits {
            max_turns: turns,
            max_duration: Duration::from_secs(secs),
        }
    }

    fn prompt(step: &Step) -> &str {
        match step {
            Step::SendPrompt(p) => p,
            other => panic!("expected a prompt, got {other:?}"),
        }
    }

    #[test]
    fn the_first_prompt_carries_the_goal_and_the_way_to_finish() {
        let (run, step) = Autonomy::start("Make the tests pass", limits(5, 600), Instant::now());
        let text = prompt(&step);
        assert!(text.contains("Make the tests pass"), "{text}");
        assert!(text.contains("mission_report"), "{text}");
        assert!(text.contains("\"done\""), "{text}");
        assert!(text.contains("turn 1 of at most 5"), "{text}");
        assert_eq!(run.turns_taken(), 1);
    }

    /// Each case: limits, then (seconds since start, event, expected step kind) where the
    /// kind is "prompt" or the expected stop reason.
    #[test]
    fn event_sequences() {
        use AutonomyEvent::*;
        type Case = (
            &'static str,
            AutonomyLimits,
            Vec<(u64, AutonomyEvent, Option<StopReason>)>,
        );
        let cases: Vec<Case> = vec![
            (
                "done after two turns",
                limits(10, 600),
                vec![
                    (10, TurnEnded, None),
                    (
                        20,
                        ReportedDone("all green".into()),
                        Some(StopReason::Done("all green".into())),
                    ),
                    // The turn that reported ends afterwards: still stopped, no new prompt.
                    (21, TurnEnded, Some(StopReason::Done("all green".into()))),
                ],
            ),
            (
                "turn limit",
                limits(3, 600),
                vec![
                    (10, TurnEnded, None),
                    (20, TurnEnded, None),
                    (30, TurnEnded, Some(StopReason::MaxTurns(3))),
                ],
            ),
            (
                "time limit checked when a turn ends",
                limits(100, 60),
                vec![
                    (30, TurnEnded, None),
                    (
                        60,
                        TurnEnded,
                        Some(StopReason::TimeLimit(Duration::from_secs(60))),
                    ),
                ],
            ),
            (
                "timer fires during a turn",
                limits(100, 60),
                vec![(
                    60,
                    Timeout,
                    Some(StopReason::TimeLimit(Duration::from_secs(60))),
                )],
            ),
            (
                "a question pauses the run",
                limits(100, 600),
                vec![(
                    5,
                    ReportedQuestion("which db?".into()),
                    Some(StopReason::Question("which db?".into())),
                )],
            ),
            (
                "an error ends it",
                limits(100, 600),
                vec![
                    (
                        5,
                        Error("gave up restarting".into()),
                        Some(StopReason::Error("gave up restarting".into())),
                    ),
                    (
                        6,
                        TurnEnded,
                        Some(StopReason::Error("gave up restarting".into())),
                    ),
                ],
            ),
        ];
        for (name, limits, steps) in cases {
            let t0 = Instant::now();
            let (mut run, _) = Autonomy::start("goal", limits, t0);
            for (i, (secs, event, want)) in steps.into_iter().enumerate() {
                let step = run.next(event, t0 + Duration::from_secs(secs));
                match want {
                    None => {
                        let text = prompt(&step);
                        assert!(text.contains("mission_report"), "{name}, step {i}: {text}");
                    }
                    Some(reason) => assert_eq!(step, Step::Stop(reason), "{name}, step {i}"),
                }
            }
        }
    }

    #[test]
    fn follow_ups_count_turns() {
        let t0 = Instant::now();
        let (mut run, _) = Autonomy::start("g", limits(4, 600), t0);
        let step = run.next(AutonomyEvent::TurnEnded, t0);
        assert!(prompt(&step).contains("turn 2 of at most 4"));
        assert_eq!(run.turns_taken(), 2);
        assert_eq!(run.deadline(), t0 + Duration::from_secs(600));
    }

    #[test]
    fn an_early_timer_is_ignored() {
        let t0 = Instant::now();
        let (mut run, _) = Autonomy::start("g", limits(4, 600), t0);
        assert_eq!(
            run.next(AutonomyEvent::Timeout, t0 + Duration::from_secs(10)),
            Step::Wait
        );
        assert!(run.stopped().is_none());
    }

    #[test]
    fn a_paused_run_still_ends_on_limits_errors_and_cancelling() {
        let t0 = Instant::now();
        let secs = |s| t0 + Duration::from_secs(s);
        let cases: [(AutonomyEvent, u64, StopReason); 5] = [
            (
                AutonomyEvent::TurnEnded,
                10,
                StopReason::Question("q".into()),
            ),
            (AutonomyEvent::Timeout, 10, StopReason::Question("q".into())),
            (
                AutonomyEvent::Timeout,
                600,
                StopReason::TimeLimit(Duration::from_secs(600)),
            ),
            (
                AutonomyEvent::Error("crash".into()),
                10,
                StopReason::Error("crash".into()),
            ),
            (AutonomyEvent::Cancelled, 10, StopReason::Cancelled),
        ];
        for (event, at, want) in cases {
            let (mut run, _) = Autonomy::start("g", limits(10, 600), t0);
            run.next(AutonomyEvent::ReportedQuestion("q".into()), secs(5));
            assert!(!run.is_over());
            let label = format!("{event:?} at {at}s");
            assert_eq!(
                run.next(event, secs(at)),
                Step::Stop(want.clone()),
                "{label}"
            );
            assert_eq!(
                run.is_over(),
                !matches!(want, StopReason::Question(_)),
                "{label}"
            );
        }
    }

    #[test]
    fn cancelling_ends_a_running_run() {
        let t0 = Instant::now();
        let (mut run, _) = Autonomy::start("g", limits(10, 600), t0);
        assert_eq!(
            run.next(AutonomyEvent::Cancelled, t0),
            Step::Stop(StopReason::Cancelled)
        );
        assert!(run.is_over());
        assert_eq!(run.answer("late", t0), Step::Stop(StopReason::Cancelled));
    }

    #[test]
    fn zero_turns_stop_at_once() {
        let (run, step) = Autonomy::start("g", limits(0, 600), Instant::now());
        assert_eq!(step, Step::Stop(StopReason::MaxTurns(0)));
        assert_eq!(run.turns_taken(), 0);
    }

    #[test]
    fn an_answer_resumes_within_the_limits() {
        let t0 = Instant::now();
        let (mut run, _) = Autonomy::start("g", limits(2, 600), t0);
        assert_eq!(run.answer("too early", t0), Step::Wait);
        run.next(AutonomyEvent::ReportedQuestion("which db?".into()), t0);
        let step = run.answer("use sqlite", t0 + Duration::from_secs(5));
        let text = prompt(&step);
        assert!(
            text.contains("use sqlite") && text.contains("turn 2 of at most 2"),
            "{text}"
        );
        // Limits still hold after resuming.
        run.next(AutonomyEvent::ReportedQuestion("and then?".into()), t0);
        assert_eq!(
            run.answer("whatever", t0 + Duration::from_secs(6)),
            Step::Stop(StopReason::MaxTurns(2))
        );
        // A finished run cannot be resumed.
        assert_eq!(
            run.answer("again", t0 + Duration::from_secs(7)),
            Step::Stop(StopReason::MaxTurns(2))
        );
    }
}
