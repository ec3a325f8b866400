//! The merge rules, one claim at a time.

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

#[test]
fn the_files_idle_between_the_last_agent_and_its_report_is_not_a_free_slot() {
    // Seen under load: the last SubagentStop, the status file's `idle` 0.2 s later, then
    // the turn Claude Code starts by itself (its spinner, its UserPromptSubmit).
    let mut m = StateMerge::new();
    m.hook("UserPromptSubmit", &json!({"prompt_id": "p1"}), 0.0);
    m.hook("SubagentStart", &json!({"agent_id": "b"}), 1.0);
    m.hook("Stop", &json!({"prompt_id": "p1"}), 2.0);
    m.screen_agents(true);
    m.observe(ToolRunning, 2.1);
    m.hook("SubagentStop", &json!({"agent_id": "b"}), 8.0);
    m.screen_agents(false);
    m.observe(ToolRunning, 8.1);
    m.status_file("idle", None, 8.2);
    assert_eq!(m.reported(ToolRunning, 8.2), ToolRunning, "not free yet");
    m.observe(Responding, 8.3);
    assert_eq!(m.reported(Responding, 8.3), Responding);
    m.hook("UserPromptSubmit", &json!({"prompt_id": "p2"}), 8.35);
    m.status_file("busy", None, 8.6);
    assert_eq!(m.reported(Responding, 9.0), Responding);
    // Its Stop, then the file's idle a moment later: idle at once, and it stays so.
    m.hook("Stop", &json!({"prompt_id": "p2"}), 9.2);
    assert_eq!(m.reported(Responding, 9.2), Idle);
    m.status_file("idle", None, 9.25);
    assert_eq!(
        m.reported(Responding, 9.25),
        Idle,
        "the file's idle is the same end"
    );
    m.observe(Idle, 9.4);
    assert_eq!(m.reported(Idle, 9.4), Idle);
}

#[test]
fn the_files_idle_over_a_working_screen_waits_for_the_tolerance() {
    // An interrupt fires no hook: the file's idle is believed once the screen has
    // disagreed for the tolerance (the screen normally shows the idle prompt first).
    let mut m = StateMerge::new();
    m.hook("UserPromptSubmit", &json!({}), 0.0);
    m.observe(Thinking, 0.1);
    m.status_file("idle", None, 5.0);
    assert_eq!(m.reported(Thinking, 5.0), Thinking);
    m.observe(Thinking, 5.1);
    assert_eq!(m.reported(Thinking, 6.6), Idle);
}
