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
//! | status file `idle`, `shell` | `Idle` | as `Stop` | screen, then the file after [`TOLERANCE`] (written 30–90 ms after the change, also after an interrupt, which fires no hook; but also for a moment between the last background agent's end and the turn Claude Code then starts by itself); after a hook's `Stop` it is that same end |
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
    /// A turn's end that wins at once over a working screen: a hook's (`mission_pty_send`
    /// returns on it), not the status file's. Claude Code writes `idle` for a moment
    /// between the last background agent finishing and the turn it starts by itself to
    /// report it; that `idle` must not make the slot look free.
    at_once: bool,
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
                at_once: true,
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
        // A file's idle after the hooks' own end of the turn (Stop, or a failure) is the
        // same end, written a moment later: the hook's claim stands.
        if claim == Claim::Idle && self.claim.as_ref().is_some_and(|c| c.claim.ends_turn()) {
            return;
        }
        self.claim = Some(ActiveClaim {
            claim,
            event: format!("status file ({status})"),
            at: t,
            at_once: false,
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

    /// Why background agents are taken to run, for a log line: the screen's say and the
    /// hooks' count.
    pub fn agents_evidence(&self) -> (bool, usize) {
        (self.agents_on_screen, self.agents.len())
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
                && (!(c.claim.ends_turn() && c.at_once) || t - c.at >= TOLERANCE)
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
            && c.at_once
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
mod tests;
