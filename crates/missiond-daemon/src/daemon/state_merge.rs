//! Reconciles a slot's views of its state: the screen reader's reading and what Claude
//! Code's own hooks imply. Pure: it is fed screen readings and hook events with their
//! times (seconds on the slot's clock) and answers the state to report, plus the
//! disagreements worth a parser bug report. The slot wires it in (`slot_task`,
//! `slot_turns::on_hook`) and does the logging. This is the one place that decides.
//!
//! # What each hook claims (checked against Claude Code 2.1.331)
//! | hook | claim | screen states that agree | precedence |
//! |------|-------|--------------------------|------------|
//! | `UserPromptSubmit`, `PostToolUse`, `PreCompact` | working (`Thinking`) | `Thinking`, `Responding`, `ToolRunning` | screen, then hook after [`TOLERANCE`] |
//! | `PreToolUse` | a tool (`ToolRunning`) | the working states, and `Confirming`: a permission dialog follows when no rule decided | screen, then hook after [`TOLERANCE`] |
//! | `PermissionRequest`; `Notification` with `notification_type: permission_prompt` | `Confirming` | `Confirming` | screen, then hook after [`TOLERANCE`]; the dialog's contents always come from the screen |
//! | `Stop` | `Idle` | `Idle`, `Error`, `SlashMenu` (Stop carries no error flag) | **hook at once** over a working screen (the screen lags the hook by up to ~250 ms, and `mission_pty_send` returns on this hook: status must say what send said) |
//! | `StopFailure` (a turn that ended in an API error; no `Stop` follows) | `Error` | `Idle`, `Error`, `SlashMenu` | **hook at once** over a working screen |
//! | `SessionEnd` | `Exited` | `Exited` | screen, then hook after [`TOLERANCE`] |
//! | `SubagentStart` / `SubagentStop` | background agents running (counted by `agent_id`) | a busy screen; the agents panel | see below |
//! | status file `busy` ([`super::status_file`]) | working | the working states | screen, then the file after [`TOLERANCE`] |
//! | status file `waiting` for a `permission prompt` (written 0.4–0.7 s before the dialog is drawn) | `Confirming` | `Confirming` | screen, then the file after [`TOLERANCE`] |
//! | status file `idle`, `shell` | `Idle` | as `Stop` | as `Stop` (written 30–90 ms after the change; also after an interrupt, which fires no hook) |
//!
//! `SessionStart`, `PostCompact`, `MessageDisplay` and other notifications claim nothing.
//! The permission notification comes seconds after the dialog opens (about 6 s was
//! seen), so it usually confirms a dialog the screen already shows.
//!
//! # Background agents
//! Claude Code ends a turn that launched background agents (`Waiting for N background
//! agents to finish`) and starts a new one by itself when each finishes: the slot stays
//! busy meanwhile. Agents run when the screen shows them (the panel under the footer or
//! the waiting line, see [`StateMerge::screen_agents`]) or when a `SubagentStart` has no
//! `SubagentStop` yet. Either way a reading of `Idle` (and an `Idle` claim) is reported
//! as `ToolRunning`. The hooks' count yields to the screen only when the screen has
//! shown a readable, agent-free `Idle` for [`AGENTS_GRACE`] seconds since the last
//! subagent hook (a lost `SubagentStop`); that is logged as a disagreement.
//!
//! # Rules
//! - Agreement: the screen's reading is reported, finer detail included (a working claim
//!   does not turn `Responding` into `Thinking`).
//! - The two sides lag and lead each other a little: a disagreement counts only once it
//!   lasted [`TOLERANCE`] seconds from the later of the hook's arrival and the screen's
//!   last change. Until then the screen is reported (except for a turn's end, above);
//!   afterwards the hook's state is, and exactly one [`Disagreement`] is returned for
//!   the episode. Agreement (or the claim ending) ends the episode.
//! - A claim ends when the screen, after the hook arrived, changes to a state that a
//!   later hook would explain (any definite state other than the claimed ones: after
//!   `Stop`, a spinner means a new prompt whose `UserPromptSubmit` is on its way; after a
//!   working claim, `Idle` means the turn ended or was interrupted). A turn's end is
//!   ended this way only [`TOLERANCE`] seconds after its hook: before, a spinner is the
//!   screen catching up. Only a screen that stays as it was, or becomes
//!   `Unknown`/`Starting`, is overridden: that is the parser missing a change.
//!   `SessionEnd` has no later event and ends only with the run.
//! - Claims of ongoing work (working, a tool, a dialog) also lapse [`BOUND`] seconds after
//!   their hook: an interrupt sends no hook, and a stale "working" must not hold the slot
//!   busy forever. `Stop` does not lapse: an idle slot may get no hook for hours.
//! - A `Stop`, tool or notification hook whose `prompt_id` is not the latest
//!   `UserPromptSubmit`'s belongs to an older turn (hooks are separate processes and can
//!   arrive out of order): it claims nothing.
//! - The process's own exit (`Exited` on the screen) is never overridden.

use semantic_terminal::State;
use serde_json::Value;

/// Seconds a disagreement must last before the hook's state is reported.
pub const TOLERANCE: f64 = 1.5;
/// Seconds after its hook that a claim of ongoing work lapses.
pub const BOUND: f64 = 60.0;
/// Seconds of an agent-free idle screen after which the hooks' count of running
/// background agents is taken to have missed a `SubagentStop`.
pub const AGENTS_GRACE: f64 = 10.0;

/// What a hook says the slot is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Busy with a turn (`UserPromptSubmit`, `PostToolUse`).
    Working,
    /// About to run a tool, or asking permission for it (`PreToolUse`).
    Tool,
    /// A permission dialog waits (`Notification`, permission prompt).
    Asking,
    /// The turn ended (`Stop`).
    Idle,
    /// The turn ended in an API error (`StopFailure`).
    Failed,
    /// The session ended (`SessionEnd`).
    Ended,
}

impl Claim {
    /// The claim a hook event makes, if any.
    pub fn from_hook(event: &str, payload: &Value) -> Option<Claim> {
        match event {
            "UserPromptSubmit" | "PostToolUse" | "PreCompact" => Some(Claim::Working),
            "PreToolUse" => Some(Claim::Tool),
            "PermissionRequest" => Some(Claim::Asking),
            "Notification" if is_permission_prompt(payload) => Some(Claim::Asking),
            "Stop" => Some(Claim::Idle),
            "StopFailure" => Some(Claim::Failed),
            "SessionEnd" => Some(Claim::Ended),
            _ => None,
        }
    }

    /// The state reported when the screen disagrees.
    pub fn state(self) -> State {
        match self {
            Claim::Working => State::Thinking,
            Claim::Tool => State::ToolRunning,
            Claim::Asking => State::Confirming,
            Claim::Idle => State::Idle,
            Claim::Failed => State::Error,
            Claim::Ended => State::Exited,
        }
    }

    /// Whether the claim is a turn's end, reported at once over a working screen.
    fn ends_turn(self) -> bool {
        matches!(self, Claim::Idle | Claim::Failed)
    }

    /// Whether a screen reading agrees with the claim.
    pub fn accepts(self, screen: State) -> bool {
        match self {
            Claim::Working => screen.is_working(),
            Claim::Tool => screen.is_working() || screen == State::Confirming,
            Claim::Asking => screen == State::Confirming,
            Claim::Idle | Claim::Failed => {
                matches!(screen, State::Idle | State::Error | State::SlashMenu)
            }
            Claim::Ended => screen == State::Exited,
        }
    }

    /// Whether the screen changing to `screen` after the hook shows that a later event
    /// took over (so the claim is over).
    fn followed_by(self, screen: State) -> bool {
        self != Claim::Ended && !matches!(screen, State::Unknown | State::Starting)
    }

    /// Seconds after which the claim lapses, if it does.
    fn bound(self) -> Option<f64> {
        match self {
            Claim::Working | Claim::Tool | Claim::Asking => Some(BOUND),
            Claim::Idle | Claim::Failed | Claim::Ended => None,
        }
    }
}

/// Whether a `Notification` says Claude Code waits for a permission answer.
fn is_permission_prompt(payload: &Value) -> bool {
    let field = |k: &str| payload.get(k).and_then(Value::as_str).unwrap_or_default();
    field("notification_type") == "permission_prompt"
        || field("message").contains("needs your permission")
}

/// A disagreement that lasted past the tolerance: the screen reader probably needs work.
#[derive(Debug, Clone, PartialEq)]
pub struct Disagreement {
    /// What the screen showed.
    pub screen: State,
    /// What the hook implied (now reported).
    pub hook: State,
    /// The hook event that made the claim.
    pub event: String,
    /// When the two sides started to disagree (slot clock, seconds).
    pub since: f64,
}

#[derive(Debug, Clone)]
struct ActiveClaim {
    claim: Claim,
    event: String,
    at: f64,
}

/// One slot run's reconciler.
#[derive(Debug, Clone, Default)]
pub struct StateMerge {
    claim: Option<ActiveClaim>,
    /// The screen's last reading and when it was first seen.
    screen: Option<(State, f64)>,
    /// The `prompt_id` of the latest `UserPromptSubmit`.
    prompt_id: Option<String>,
    /// When the current disagreement began, and whether it was already reported.
    episode: Option<(f64, bool)>,
    disagreements: u64,
    /// Background agents the hooks say run: `agent_id` (or a made-up one) by start time.
    agents: Vec<(String, f64)>,
    /// When the last subagent hook arrived.
    agents_at: f64,
    /// Whether the screen shows background agents running.
    agents_on_screen: bool,
    /// Since when the screen has read an agent-free `Idle` (for [`AGENTS_GRACE`]).
    quiet_since: Option<f64>,
    /// The status file's last `status/waitingFor`.
    file_status: Option<String>,
}

impl StateMerge {
    /// A reconciler with nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Follow a hook event received at `t`.
    pub fn hook(&mut self, event: &str, payload: &Value, t: f64) {
        match event {
            "SubagentStart" => {
                let id = agent_id(payload).unwrap_or_else(|| format!("#{}", self.agents.len()));
                self.agents.retain(|(a, _)| *a != id);
                self.agents.push((id, t));
                self.agents_at = t;
                self.quiet_since = None;
                return;
            }
            "SubagentStop" => {
                let was = self.agents_running();
                match agent_id(payload) {
                    Some(id) => self.agents.retain(|(a, _)| *a != id),
                    None if !self.agents.is_empty() => {
                        self.agents.remove(0);
                    }
                    None => {}
                }
                self.agents_at = t;
                self.agents_changed(was);
                return;
            }
            _ => {}
        }
        let prompt_id = payload.get("prompt_id").and_then(Value::as_str);
        if event == "UserPromptSubmit" {
            self.prompt_id = prompt_id.map(str::to_string);
        } else if let (Some(latest), Some(id)) = (&self.prompt_id, prompt_id)
            && latest != id
            && event != "SessionEnd"
        {
            return; // from an older turn
        }
        if let Some(claim) = Claim::from_hook(event, payload) {
            self.claim = Some(ActiveClaim {
                claim,
                event: event.to_string(),
                at: t,
            });
        }
    }

    /// Follow a write of Claude Code's status file (`sessions/<pid>.json`) read at `t`:
    /// `busy` claims work, `waiting` for a permission prompt claims a dialog, `idle` and
    /// `shell` (a backgrounded shell still runs, the turn is over) claim the turn's end.
    /// Other waits (`dialog open` for a picker, ...) claim nothing: the screen says which
    /// overlay it is. A rewrite with the same status claims nothing new.
    pub fn status_file(&mut self, status: &str, waiting_for: Option<&str>, t: f64) {
        let key = format!("{status}/{}", waiting_for.unwrap_or_default());
        if self.file_status.as_deref() == Some(key.as_str()) {
            return;
        }
        self.file_status = Some(key);
        let claim = match (status, waiting_for) {
            ("busy", _) => Claim::Working,
            ("waiting", Some(w)) if w.contains("permission") => Claim::Asking,
            ("idle" | "shell", _) => Claim::Idle,
            _ => return,
        };
        // A file's idle after the hooks' failure keeps the failure.
        if claim == Claim::Idle
            && self
                .claim
                .as_ref()
                .is_some_and(|c| c.claim == Claim::Failed)
        {
            return;
        }
        self.claim = Some(ActiveClaim {
            claim,
            event: format!("status file ({status})"),
            at: t,
        });
    }

    /// Say whether the screen shows background agents running (the panel under the
    /// footer, or a turn that ended waiting for them). Called with each reading.
    pub fn screen_agents(&mut self, running: bool) {
        let was = self.agents_running();
        self.agents_on_screen = running;
        self.agents_changed(was);
    }

    /// The last background agent finished while the screen shows work: that is the turn
    /// Claude Code starts by itself to report it (its `UserPromptSubmit` is on its way),
    /// so the turn's end that the agents kept open is over.
    fn agents_changed(&mut self, was_running: bool) {
        if was_running
            && !self.agents_running()
            && self.screen.is_some_and(|(s, _)| s.is_working())
            && self.claim.as_ref().is_some_and(|c| c.claim.ends_turn())
        {
            self.claim = None;
            self.episode = None;
        }
    }

    /// Background agents the hooks count as running.
    #[cfg(test)]
    pub fn hook_agents(&self) -> usize {
        self.agents.len()
    }

    /// Whether background agents keep the slot busy (screen or hooks).
    pub fn agents_running(&self) -> bool {
        self.agents_on_screen || !self.agents.is_empty()
    }

    /// Record the screen's reading at `t` and settle the episode. Returns the
    /// disagreement when one has just lasted past the tolerance (once per episode).
    pub fn observe(&mut self, screen: State, t: f64) -> Option<Disagreement> {
        if self.screen.is_none_or(|(s, _)| s != screen) {
            self.screen = Some((screen, t));
            if let Some(c) = &self.claim
                && t >= c.at
                && !self.accepts(c.claim, screen)
                && c.claim.followed_by(screen)
                && (!c.claim.ends_turn() || t - c.at >= TOLERANCE)
            {
                self.claim = None;
            }
        }
        if let Some(c) = &self.claim
            && c.claim.bound().is_some_and(|b| t - c.at > b)
        {
            self.claim = None;
        }
        if let Some(d) = self.settle_agents(screen, t) {
            self.disagreements += 1;
            return Some(d);
        }
        let Some(start) = self.conflict_start(screen, t) else {
            self.episode = None;
            return None;
        };
        let (since, reported) = self.episode.get_or_insert((start, false));
        if *reported || t - *since < TOLERANCE {
            return None;
        }
        *reported = true;
        let since = *since;
        self.disagreements += 1;
        let c = self.claim.as_ref()?;
        Some(Disagreement {
            screen,
            hook: self.claimed(c.claim),
            event: c.event.clone(),
            since,
        })
    }

    /// Give up the hooks' count of agents when the screen has shown a quiet `Idle` for
    /// [`AGENTS_GRACE`] since the last subagent hook: a `SubagentStop` went missing.
    fn settle_agents(&mut self, screen: State, t: f64) -> Option<Disagreement> {
        let quiet = screen == State::Idle && !self.agents_on_screen;
        if !quiet || self.agents.is_empty() {
            self.quiet_since = None;
            return None;
        }
        let since = *self.quiet_since.get_or_insert(t.max(self.agents_at));
        if t - since < AGENTS_GRACE {
            return None;
        }
        self.agents.clear();
        Some(Disagreement {
            screen,
            hook: State::ToolRunning,
            event: "SubagentStart".into(),
            since,
        })
    }

    /// The state a claim stands for, given the background agents.
    fn claimed(&self, claim: Claim) -> State {
        match claim.state() {
            State::Idle if self.agents_running() => State::ToolRunning,
            state => state,
        }
    }

    /// Whether `screen` agrees with `claim`, given the background agents: a turn's end
    /// agrees with the busy screen they make.
    fn accepts(&self, claim: Claim, screen: State) -> bool {
        claim.accepts(screen)
            || (claim.ends_turn() && screen == State::ToolRunning && self.agents_running())
    }

    /// The state to report at `t` when the screen reads `screen` (normally the reading
    /// last given to [`observe`](Self::observe)).
    pub fn reported(&self, screen: State, t: f64) -> State {
        let state = self.reported_before_agents(screen, t);
        // Background agents keep the slot busy whatever ended the turn.
        if state == State::Idle && self.agents_running() {
            State::ToolRunning
        } else {
            state
        }
    }

    fn reported_before_agents(&self, screen: State, t: f64) -> State {
        if screen == State::Exited {
            return screen;
        }
        let unobserved = self.screen.is_none_or(|(s, _)| s != screen);
        // A turn's end wins at once over a screen still drawing the turn.
        if let Some(c) = &self.claim
            && c.claim.ends_turn()
            && screen.is_working()
            && !self.accepts(c.claim, screen)
            && !(unobserved && t - c.at >= TOLERANCE)
        {
            return c.claim.state();
        }
        if unobserved {
            return screen; // a change not yet observed: it gets its tolerance first
        }
        let (Some(c), Some(start)) = (&self.claim, self.conflict_start(screen, t)) else {
            return screen;
        };
        let since = self.episode.map_or(start, |(s, _)| s);
        if t - since >= TOLERANCE {
            c.claim.state()
        } else {
            screen
        }
    }

    /// When the reported state may next change with no new input: the end of a pending
    /// tolerance, of a claim's bound, or of the agents' grace.
    pub fn next_deadline(&self) -> Option<f64> {
        let grace = (!self.agents.is_empty())
            .then_some(self.quiet_since)
            .flatten()
            .map(|q| q + AGENTS_GRACE);
        let c = self.claim.as_ref();
        let tolerance = match (c, self.episode) {
            (Some(_), Some((since, false))) => Some(since + TOLERANCE),
            _ => None,
        };
        let bound = c.and_then(|c| c.claim.bound().map(|b| c.at + b));
        [tolerance, bound, grace]
            .into_iter()
            .flatten()
            .reduce(f64::min)
    }

    /// Disagreement episodes counted so far.
    pub fn disagreements(&self) -> u64 {
        self.disagreements
    }

    /// When the live claim and `screen` began to disagree, `None` when they agree.
    fn conflict_start(&self, screen: State, t: f64) -> Option<f64> {
        let c = self.claim.as_ref()?;
        let lapsed = c.claim.bound().is_some_and(|b| t - c.at > b);
        if lapsed || screen == State::Exited || self.accepts(c.claim, screen) {
            return None;
        }
        let screen_since = self.screen.map_or(t, |(_, since)| since);
        Some(c.at.max(screen_since))
    }
}

/// The agent id a subagent hook names.
fn agent_id(payload: &Value) -> Option<String> {
    ["agent_id", "subagent_id", "agentId"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use State::*;
    use serde_json::json;

    /// A scripted run: `("screen", state)` readings and `("hook", event)` events at
    /// times; returns the reported state after each step and the disagreements.
    enum Step {
        Screen(f64, State),
        Hook(f64, &'static str, Value),
        Tick(f64),
    }

    fn run(steps: &[Step]) -> (StateMerge, Vec<State>, Vec<Disagreement>) {
        let mut m = StateMerge::new();
        let mut screen = Starting;
        let mut reported = Vec::new();
        let mut found = Vec::new();
        for step in steps {
            let t = match step {
                Step::Screen(t, s) => {
                    screen = *s;
                    *t
                }
                Step::Hook(t, event, payload) => {
                    m.hook(event, payload, *t);
                    *t
                }
                Step::Tick(t) => *t,
            };
            found.extend(m.observe(screen, t));
            reported.push(m.reported(screen, t));
        }
        (m, reported, found)
    }

    fn hook(t: f64, event: &'static str) -> Step {
        Step::Hook(t, event, json!({}))
    }

    #[test]
    fn agreement_reports_the_screen_with_its_detail() {
        let (m, reported, found) = run(&[
            Step::Screen(0.0, Idle),
            hook(1.0, "UserPromptSubmit"),
            Step::Screen(1.2, Responding),
            Step::Tick(5.0),
            Step::Screen(6.0, ToolRunning),
            hook(6.1, "PreToolUse"),
            hook(7.0, "PostToolUse"),
            Step::Screen(7.1, Responding),
            Step::Screen(9.0, Idle),
            hook(9.2, "Stop"),
            Step::Tick(30.0),
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(m.disagreements(), 0);
        assert_eq!(
            reported[3], Responding,
            "a working hook keeps the screen's detail"
        );
        assert_eq!(reported.last(), Some(&Idle));
    }

    #[test]
    fn a_lagging_screen_within_the_tolerance_is_no_disagreement() {
        let (m, reported, found) = run(&[
            Step::Screen(0.0, Idle),
            hook(1.0, "UserPromptSubmit"),
            Step::Tick(2.0),
            Step::Screen(2.3, Thinking),
            Step::Screen(5.0, Responding),
            hook(6.0, "Stop"),
            Step::Tick(7.0),
            Step::Screen(7.4, Idle),
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(m.disagreements(), 0);
        assert_eq!(
            reported[2], Idle,
            "within the tolerance the screen is reported"
        );
        assert_eq!(reported[6], Idle, "the turn's end wins at once");
        assert_eq!(reported[7], Idle);
    }

    #[test]
    fn a_screen_stuck_responding_after_stop_reports_idle_once() {
        let (m, reported, found) = run(&[
            Step::Screen(0.0, Idle),
            hook(1.0, "UserPromptSubmit"),
            Step::Screen(1.5, Responding),
            hook(4.0, "Stop"),
            Step::Tick(5.0),
            Step::Tick(5.6),
            Step::Tick(9.0),
            Step::Tick(600.0),
        ]);
        assert_eq!(reported[3], Idle, "the turn's end is reported at once");
        assert_eq!(
            &reported[4..],
            &[Idle, Idle, Idle, Idle],
            "Stop does not lapse"
        );
        assert_eq!(
            found,
            vec![Disagreement {
                screen: Responding,
                hook: Idle,
                event: "Stop".into(),
                since: 4.0,
            }]
        );
        assert_eq!(m.disagreements(), 1);
    }

    #[test]
    fn agreement_ends_the_episode_and_a_new_one_is_counted_again() {
        let (m, reported, found) = run(&[
            Step::Screen(0.0, Responding),
            hook(1.0, "Stop"),
            Step::Tick(3.0),
            Step::Screen(4.0, Idle),
            hook(10.0, "UserPromptSubmit"),
            Step::Screen(10.2, Responding),
            hook(12.0, "Stop"),
            Step::Tick(14.0),
        ]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(m.disagreements(), 2);
        assert_eq!(reported[3], Idle);
        assert_eq!(reported[5], Responding);
        assert_eq!(reported[7], Idle);
    }

    #[test]
    fn a_stale_stop_yields_to_the_new_turn() {
        let (m, reported, found) = run(&[
            Step::Screen(0.0, Idle),
            hook(1.0, "Stop"),
            // A new prompt: the screen leads its UserPromptSubmit.
            Step::Screen(3.0, Thinking),
            Step::Tick(6.0),
            hook(6.5, "UserPromptSubmit"),
            Step::Tick(9.0),
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(m.disagreements(), 0);
        assert_eq!(&reported[2..], &[Thinking, Thinking, Thinking, Thinking]);
    }

    #[test]
    fn a_stop_from_an_older_prompt_claims_nothing() {
        let ups = |t, id| Step::Hook(t, "UserPromptSubmit", json!({"prompt_id": id}));
        let stop = |t, id| Step::Hook(t, "Stop", json!({"prompt_id": id}));
        let (_, reported, found) = run(&[
            Step::Screen(0.0, Idle),
            ups(1.0, "a"),
            Step::Screen(1.1, Thinking),
            ups(2.0, "b"),
            stop(2.1, "a"),
            Step::Tick(6.0),
            stop(7.0, "b"),
            Step::Tick(9.0),
        ]);
        assert_eq!(
            reported[5], Thinking,
            "the late Stop of prompt a is ignored"
        );
        assert_eq!(reported[7], Idle, "prompt b's Stop counts");
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn a_screen_that_never_saw_the_work_follows_the_hooks_until_the_bound() {
        let (m, reported, found) = run(&[
            Step::Screen(0.0, Idle),
            hook(1.0, "UserPromptSubmit"),
            Step::Tick(2.0),
            Step::Tick(2.6),
            hook(20.0, "PreToolUse"),
            Step::Tick(21.0),
            Step::Tick(20.0 + BOUND + 1.0),
        ]);
        assert_eq!(reported[2], Idle);
        assert_eq!(reported[3], Thinking);
        assert_eq!(reported[5], ToolRunning, "the same episode, a newer claim");
        assert_eq!(reported[6], Idle, "a working claim lapses");
        assert_eq!(found.len(), 1, "one line per episode: {found:?}");
        assert_eq!(found[0].screen, Idle);
        assert_eq!(found[0].event, "UserPromptSubmit");
        assert_eq!(m.disagreements(), 1);
    }

    #[test]
    fn an_interrupt_without_stop_ends_the_working_claim() {
        let (_, reported, found) = run(&[
            Step::Screen(0.0, Idle),
            hook(1.0, "UserPromptSubmit"),
            Step::Screen(1.2, Thinking),
            Step::Screen(3.0, Idle),
            Step::Tick(10.0),
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(reported[4], Idle);
    }

    #[test]
    fn a_permission_dialog_agrees_with_pre_tool_use_and_the_notification() {
        let note = json!({"message": "Claude needs your permission",
                          "notification_type": "permission_prompt"});
        let (_, reported, found) = run(&[
            Step::Screen(0.0, Thinking),
            hook(0.1, "PreToolUse"),
            Step::Screen(0.3, Confirming),
            Step::Tick(5.0),
            Step::Hook(6.5, "Notification", note),
            Step::Tick(9.0),
            Step::Screen(9.5, ToolRunning),
            Step::Tick(15.0),
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(reported[3], Confirming);
        assert_eq!(
            reported[7], ToolRunning,
            "answering the dialog ends its claim"
        );
    }

    #[test]
    fn an_unreadable_screen_is_overridden_and_exit_never_is() {
        let (_, reported, found) = run(&[
            Step::Screen(0.0, Thinking),
            hook(0.5, "UserPromptSubmit"),
            Step::Screen(1.0, Unknown),
            Step::Tick(3.0),
            hook(4.0, "SessionEnd"),
            Step::Screen(4.1, Exited),
        ]);
        assert_eq!(reported[3], Thinking);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].screen, Unknown);
        assert_eq!(reported[5], Exited);
    }

    #[test]
    fn deadlines_wake_the_slot_when_a_tolerance_or_bound_ends() {
        let mut m = StateMerge::new();
        m.observe(Responding, 0.0);
        assert_eq!(m.next_deadline(), None);
        m.hook("Stop", &json!({}), 2.0);
        m.observe(Responding, 2.0);
        assert_eq!(m.next_deadline(), Some(2.0 + TOLERANCE));
        m.observe(Responding, 4.0);
        assert_eq!(m.next_deadline(), None, "reported, Stop has no bound");
        m.hook("UserPromptSubmit", &json!({}), 5.0);
        m.observe(Responding, 5.0);
        assert_eq!(m.next_deadline(), Some(5.0 + BOUND));
    }

    #[test]
    fn send_and_status_agree_the_moment_stop_arrives() {
        // The screen still shows the last frame of the answer when Stop arrives.
        let mut m = StateMerge::new();
        m.observe(Responding, 1.0);
        m.hook("Stop", &json!({}), 1.1);
        assert_eq!(m.reported(Responding, 1.1), Idle);
        assert_eq!(m.observe(Responding, 1.2), None, "a lag is no disagreement");
        assert_eq!(m.reported(Responding, 1.2), Idle);
        // The screen catches up, then a spinner well after: a new turn.
        m.observe(Idle, 1.3);
        assert_eq!(m.reported(Idle, 1.3), Idle);
        m.observe(Thinking, 5.0);
        assert_eq!(m.reported(Thinking, 5.0), Thinking);
        assert_eq!(m.disagreements(), 0);
        // A spinner drawn right after Stop is the screen catching up, not a new turn.
        let mut m = StateMerge::new();
        m.observe(Thinking, 1.0);
        m.hook("Stop", &json!({}), 1.1);
        m.observe(Responding, 1.3);
        assert_eq!(m.reported(Responding, 1.3), Idle);
    }

    #[test]
    fn a_failed_turn_ends_in_error_at_once() {
        let mut m = StateMerge::new();
        m.hook("UserPromptSubmit", &json!({}), 0.0);
        m.observe(Thinking, 0.1);
        m.hook("StopFailure", &json!({"error": "server_error"}), 2.0);
        assert_eq!(m.reported(Thinking, 2.0), Error);
        m.observe(Error, 2.2);
        assert_eq!(m.reported(Error, 2.2), Error);
        assert!(
            Claim::Failed.accepts(Idle),
            "the screen may show the prompt again"
        );
    }

    #[test]
    fn background_agents_keep_the_slot_busy_until_the_last_one_stops() {
        let start = |id: &str| json!({"agent_id": id, "agent_type": "general-purpose"});
        let mut m = StateMerge::new();
        m.hook("UserPromptSubmit", &json!({"prompt_id": "p1"}), 0.0);
        m.observe(Thinking, 0.1);
        m.hook("SubagentStart", &start("a"), 1.0);
        m.hook("SubagentStart", &start("b"), 1.0);
        m.hook("Stop", &json!({"prompt_id": "p1"}), 2.0);
        // The screen has not drawn the agents panel yet: the hooks say they run.
        assert_eq!(m.reported(Responding, 2.0), ToolRunning);
        m.observe(Idle, 2.1);
        assert_eq!(m.reported(Idle, 2.1), ToolRunning);
        // The panel shows; the screen reads them too.
        m.screen_agents(true);
        assert_eq!(m.observe(ToolRunning, 2.3), None);
        assert_eq!(m.reported(ToolRunning, 30.0), ToolRunning);
        // One finishes (its Stop names the older prompt: it still counts).
        m.hook(
            "SubagentStop",
            &json!({"agent_id": "a", "prompt_id": "p1"}),
            31.0,
        );
        assert_eq!(m.hook_agents(), 1);
        m.hook("UserPromptSubmit", &json!({"prompt_id": "p2"}), 31.5);
        m.hook("Stop", &json!({"prompt_id": "p2"}), 32.0);
        assert_eq!(m.reported(ToolRunning, 32.0), ToolRunning);
        // The last one: its turn runs, then the slot is idle at last.
        m.hook("SubagentStop", &json!({"agent_id": "b"}), 40.0);
        m.screen_agents(false);
        m.hook("UserPromptSubmit", &json!({"prompt_id": "p3"}), 40.3);
        m.observe(Thinking, 40.4);
        assert_eq!(m.reported(Thinking, 40.4), Thinking);
        m.hook("Stop", &json!({"prompt_id": "p3"}), 41.0);
        m.observe(Idle, 41.1);
        assert_eq!(m.reported(Idle, 41.1), Idle);
        assert_eq!(m.disagreements(), 0);
    }

    #[test]
    fn the_turn_that_reports_the_last_agent_is_work() {
        // Stop, the waiting line (ToolRunning), the last agent stops, and the screen
        // draws the reporting turn's spinner before its UserPromptSubmit arrives.
        let mut m = StateMerge::new();
        m.hook("SubagentStart", &json!({"agent_id": "b"}), 1.0);
        m.hook("Stop", &json!({}), 2.0);
        m.screen_agents(true);
        m.observe(ToolRunning, 2.1);
        m.hook("SubagentStop", &json!({"agent_id": "b"}), 8.0);
        assert_eq!(
            m.reported(ToolRunning, 8.0),
            ToolRunning,
            "the line still shows"
        );
        m.screen_agents(false);
        assert_eq!(m.observe(ToolRunning, 8.3), None);
        assert_eq!(m.reported(ToolRunning, 8.3), ToolRunning);
        assert_eq!(m.observe(ToolRunning, 12.0), None);
        assert_eq!(m.disagreements(), 0);
    }

    #[test]
    fn a_lost_subagent_stop_yields_to_a_quiet_screen() {
        let mut m = StateMerge::new();
        m.hook("SubagentStart", &json!({"agent_id": "a"}), 1.0);
        m.observe(Idle, 2.0);
        assert_eq!(m.reported(Idle, 2.0), ToolRunning);
        assert_eq!(m.next_deadline(), Some(2.0 + AGENTS_GRACE));
        assert_eq!(m.observe(Idle, 5.0), None);
        let d = m.observe(Idle, 2.0 + AGENTS_GRACE).expect("reported once");
        assert_eq!((d.screen, d.hook), (Idle, ToolRunning));
        assert_eq!(m.reported(Idle, 13.0), Idle);
        assert_eq!(m.observe(Idle, 14.0), None);
    }

    #[test]
    fn a_permission_request_expects_a_dialog() {
        let (_, reported, found) = run(&[
            Step::Screen(0.0, Thinking),
            hook(1.0, "PreToolUse"),
            hook(1.0, "PermissionRequest"),
            Step::Tick(1.5),
            Step::Screen(1.6, Confirming),
            Step::Tick(9.0),
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(reported[3], Thinking, "the dialog is not drawn yet");
        assert_eq!(reported[5], Confirming);
        // A dialog the screen reader cannot read: the hook says what it is.
        let (_, reported, found) = run(&[
            Step::Screen(0.0, Thinking),
            hook(1.0, "PermissionRequest"),
            Step::Screen(1.5, Unknown),
            Step::Tick(4.0),
        ]);
        assert_eq!(reported[3], Confirming);
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn the_status_file_is_a_third_witness() {
        // An interrupt fires no hook: the file's idle ends the prompt's working claim.
        let mut m = StateMerge::new();
        m.hook("UserPromptSubmit", &json!({}), 0.0);
        m.status_file("busy", None, 0.05);
        m.observe(Unknown, 1.0);
        assert_eq!(
            m.reported(Unknown, 2.6),
            Thinking,
            "busy, the screen unreadable"
        );
        m.status_file("idle", None, 3.0);
        assert_eq!(m.reported(Unknown, 4.6), Idle);
        // Rewrites with the same status claim nothing new.
        m.status_file("idle", None, 5.0);
        assert_eq!(m.claim.as_ref().map(|c| c.at), Some(3.0));
        // Waiting for a permission prompt: a dialog, drawn a moment later.
        m.status_file("waiting", Some("permission prompt"), 6.0);
        m.observe(Thinking, 6.0);
        assert_eq!(m.reported(Thinking, 6.5), Thinking, "within the tolerance");
        m.observe(Confirming, 6.6);
        assert_eq!(m.reported(Confirming, 7.0), Confirming);
        // A picker's wait claims nothing: the screen says what it is.
        m.status_file("waiting", Some("dialog open"), 8.0);
        m.observe(SlashMenu, 8.1);
        assert_eq!(m.reported(SlashMenu, 12.0), SlashMenu);
        // After a failed turn the file's idle keeps the error.
        let mut m = StateMerge::new();
        m.hook("StopFailure", &json!({}), 1.0);
        m.status_file("idle", None, 1.05);
        assert_eq!(m.reported(Thinking, 1.1), Error);
    }

    #[test]
    fn hooks_claim_what_claude_code_means() {
        let none = json!({});
        assert_eq!(Claim::from_hook("SessionStart", &none), None);
        assert_eq!(
            Claim::from_hook(
                "Notification",
                &json!({"message": "Claude is waiting for your input"})
            ),
            None
        );
        assert_eq!(
            Claim::from_hook("Stop", &none).map(Claim::state),
            Some(Idle)
        );
        assert!(
            Claim::Idle.accepts(Error),
            "an API error ends the turn with Stop"
        );
        assert!(!Claim::Working.accepts(Confirming));
        assert!(Claim::Tool.accepts(Confirming));
        assert_eq!(Claim::from_hook("PreCompact", &none), Some(Claim::Working));
        assert_eq!(Claim::from_hook("PostCompact", &none), None);
        assert_eq!(Claim::from_hook("MessageDisplay", &none), None);
        assert_eq!(Claim::from_hook("SubagentStart", &none), None);
    }
}
