//! The board in a REAL headless chromium against a daemon whose slot runs the REAL Claude
//! Code on mock-anthropic: the live terminal shows the slot's screen with its permission
//! dialog in view, a notification fires (permission granted through DevTools), the
//! dialog's third option is chosen from the page, the conversation opens with thinking
//! and tool calls folded, a search finds it, and at 390 px wide nothing scrolls sideways.
//! Screenshots of each state go to `target/board-screenshots/`; with
//! `MISSIOND_BOARD_SCREENSHOT=PATH` the dialog state is also saved there (the README's
//! picture, see scripts/board-screenshot.sh). Skipped (with a line on stderr) when Claude
//! Code or chromium is missing, unless MISSIOND_E2E_REQUIRED=1.

mod board_support;
mod daemon_support;

use std::path::Path;
use std::time::{Duration, Instant};

use board_support::{Browser, Page, Web, chromium, screenshot_dir};
use daemon_support::{Daemon, ok};
use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(180);

const PROMPT: &str = "Please write the board file now.";
const THOUGHT: &str = "The person wants a file; a shell command writes it.";
const DONE: &str = "Wrote board.txt as asked.";
const ANSWER_AFTER_NO: &str = "Understood, I left the file alone.";
/// A tool that runs long enough to be seen running (allowed by a rule: no dialog; longer
/// than the board's periodic refresh, so the card catches it whatever the event timing).
const SLOW_PROMPT: &str = "Please run the slow check.";
const SLOW_COMMAND: &str = "sleep 20";

fn scenario() -> String {
    format!(
        "rules:\n  - match: {{ contains: {} }}\n    steps:\n      - tool_use:\n          name: Bash\n          input: {{ command: {}, description: \"Run the slow check\" }}\n      - text: \"Check passed.\"\n  - match: {{ contains: \"name the project\" }}\n    steps:\n      - tool_use:\n          name: AskUserQuestion\n          input:\n            questions:\n              - question: \"What should the project be called?\"\n                header: \"Name\"\n                multiSelect: false\n                options:\n                  - {{ label: \"missiond\", description: \"Keep the current name\" }}\n                  - {{ label: \"mission-control\", description: \"A longer name\" }}\n      - text: \"Noted the project name.\"\n  - match: {{ contains: {} }}\n    steps:\n      - thinking: {}\n        text: \"I'll write it.\"\n        tool_use:\n          name: Bash\n          input: {{ command: \"echo board > board.txt\", description: \"Write board.txt\" }}\n      - text: {}\n  - match: {{ contains: \"board\" }}\n    steps:\n      - text: {}\n",
        json!(SLOW_PROMPT),
        json!(SLOW_COMMAND),
        json!(PROMPT),
        json!(THOUGHT),
        json!(DONE),
        json!(ANSWER_AFTER_NO),
    )
}

struct World {
    _tmp: tempfile::TempDir,
    proj: std::path::PathBuf,
    _server: Server,
    daemon: Daemon,
}

fn world(test: &str) -> Option<(World, std::path::PathBuf)> {
    let claude = claude_for_test(test)?;
    let exe = chromium()?;
    let tmp = tempfile::tempdir().expect("tempdir");
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).expect("project folder");
    let server = Server::start(Scenario::from_yaml(&scenario()).expect("scenario")).expect("mock");
    let home = ClaudeHome::create(tmp.path().join("claude-home"), &[&proj]).expect("claude home");
    let env: String = claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let yaml = format!(
        "slots:\n  - id: c1\n    role: coder\n    cwd: {}\n    command: {}\n    permission_mode: manual\n    cols: 100\n    rows: 32\n    env:\n{env}",
        json!(proj.display().to_string()),
        json!(claude.display().to_string()),
    );
    let daemon = Daemon::start(&tmp.path().join("missiond-home"), Some(&yaml));
    Some((
        World {
            _tmp: tmp,
            proj,
            _server: server,
            daemon,
        },
        exe,
    ))
}

async fn wait_state(client: &IpcClient, want: &str) -> Value {
    let deadline = Instant::now() + LIMIT;
    loop {
        let st = ok(client, "mission_pty_status", json!({"slotId": "c1"})).await;
        if st["state"] == want {
            return st;
        }
        assert!(Instant::now() < deadline, "c1 never {want}: {st}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the test reads off the page.
const SNAPSHOT: &str = r#"(() => {
  if (!document.documentElement || !document.body) return {};
  const q = (sel) => document.querySelector(sel);
  const text = (sel) => { const n = q(sel); return n ? n.textContent : ''; };
  const host = q('.term-panel[data-slot="c1"] .term-host');
  const rows = host ? [...host.querySelectorAll('.xterm-rows > div')] : [];
  const question = rows.find((r) => r.textContent.includes('Do you want'));
  const inView = (n) => { if (!n || !host) return false; const r = n.getBoundingClientRect(), h = host.getBoundingClientRect();
    return r.height > 0 && r.top >= h.top - 1 && r.bottom <= h.bottom + 1; };
  return {
    conn: text('#conn'),
    state: text('.slot-card[data-slot="c1"] .state'),
    flag: text('.slot-card[data-slot="c1"] .flag'),
    doing: text('.slot-card[data-slot="c1"] .doing'),
    tool: text('.slot-card[data-slot="c1"] .doing .tool'),
    toolArg: text('.slot-card[data-slot="c1"] .doing .tool-arg'),
    options: [...document.querySelectorAll('.slot-card[data-slot="c1"] .dialog .options li')].map((li) => li.textContent),
    command: text('.slot-card[data-slot="c1"] .dialog .command'),
    usage: text('.slot-card[data-slot="c1"] .usage'),
    usageRow: text('#usage tr[data-usage="c1"]'),
    terminal: rows.map((r) => r.textContent).join('\n'),
    questionInView: inView(question),
    lastRowInView: inView(rows[rows.length - 1]),
    notified: [...document.querySelectorAll('#notified li')].map((li) => ({ kind: li.dataset.kind, sent: li.dataset.sent === 'true', text: li.textContent })),
    title: document.title,
    toasts: text('#toasts'),
    errors: text('#errors'),
    conversations: text('#conversations'),
    convoOpen: q('#convo-view') ? !q('#convo-view').hidden : false,
    messages: [...document.querySelectorAll('#convo-messages > li')].map((li) => ({
      kind: [...li.classList].find((c) => c.startsWith('msg-')),
      folded: li.querySelector('details') ? !li.querySelector('details').open : null,
      summary: li.querySelector('summary') ? li.querySelector('summary').textContent : null,
      text: li.textContent })),
    hits: text('#convo-hits'),
    freeText: !!q('.slot-card[data-slot="c1"] .dialog input.free-text'),
    scrollWidth: Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0),
    innerWidth: window.innerWidth,
  };
})()"#;

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

async fn until(page: &mut Page, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    page.until(SNAPSHOT, what, pred).await
}

fn shot(name: &str) -> std::path::PathBuf {
    screenshot_dir().join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_follows_a_real_claude_slot_and_answers_its_dialog() {
    let Some((w, exe)) = world("the_board_follows_a_real_claude_slot_and_answers_its_dialog")
    else {
        return;
    };
    let client = w.daemon.client().await;
    let web = Web::of(&w.daemon, &client).await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;
    wait_state(&client, "Idle").await;

    let profile = w.proj.parent().expect("tmp").join("chrome");
    let (_browser, devtools) = Browser::start(&exe, &profile);
    let origin = format!("http://{}", web.host);
    let mut page = Page::attach(&devtools).await;
    // The person's "allow notifications" for this page, given through DevTools.
    page.call(
        "Browser.grantPermissions",
        json!({"origin": origin, "permissions": ["notifications"]}),
    )
    .await;
    page.viewport(1280, 900, false).await;
    page.goto(&format!("{origin}/?token={}&watch=c1", web.token))
        .await;
    until(&mut page, "the slot idle and its terminal", |v| {
        v["conn"] == "live" && v["state"] == "Idle" && s(v, "terminal").contains("❯")
    })
    .await;
    // Opt in to every kind of notification, as a person would in the panel.
    page.eval(
        r#"document.getElementById('notify-open').click();
           document.querySelectorAll('#notify-kinds input').forEach((c) => { if (!c.checked) c.click(); });
           document.getElementById('notify-open').click()"#,
    )
    .await;
    let permission = page
        .eval("navigator.permissions.query({name: 'notifications'}).then((p) => p.state + ' ' + Notification.permission)")
        .await;
    assert_eq!(permission, "granted granted");

    // A task makes the slot ask for a Bash command.
    let task = ok(&client, "mission_submit", json!({"prompt": PROMPT})).await;
    let dialog = wait_state(&client, "Confirming").await["dialog"].clone();
    let options = dialog["options"].as_array().expect("options").clone();
    assert!(options.len() >= 3, "fewer than three options: {dialog}");
    let third = options[2].clone();

    let shown = until(
        &mut page,
        "the dialog on the card and in the terminal",
        |v| {
            v["options"]
                .as_array()
                .is_some_and(|o| o.len() == options.len())
                && s(v, "terminal").contains("Do you want")
                && v["notified"]
                    .as_array()
                    .is_some_and(|n| n.iter().any(|x| x["kind"] == "dialog"))
        },
    )
    .await;
    // Every option the dialog shows, with the command it asks about.
    for (i, o) in options.iter().enumerate() {
        let label = o["label"].as_str().expect("label");
        assert!(
            shown["options"][i]
                .as_str()
                .is_some_and(|t| t.contains(label)),
            "option {i} {label:?} not on the card: {shown:#}"
        );
    }
    assert!(
        s(&shown, "command").contains("echo board > board.txt"),
        "{shown:#}"
    );
    assert_eq!(s(&shown, "flag"), "needs an answer", "{shown:#}");
    assert!(s(&shown, "title").starts_with("(1) "), "{shown:#}");
    // The whole screen shows: the dialog's question and the last row are in view, not
    // scrolled off (the old board cut the bottom of the screen).
    assert_eq!(shown["questionInView"], true, "{shown:#}");
    assert_eq!(shown["lastRowInView"], true, "{shown:#}");
    // The notification was shown by the browser (permission granted), not only logged.
    let note = shown["notified"]
        .as_array()
        .and_then(|n| n.iter().find(|x| x["kind"] == "dialog"))
        .cloned()
        .expect("a dialog notification");
    assert_eq!(note["sent"], true, "{note}");
    assert!(s(&note, "text").contains("c1 needs an answer"), "{note}");
    // Chosen in a panel that is closed again: the notification still went out.
    assert_eq!(
        page.eval("document.getElementById('notify-panel').hidden")
            .await,
        true
    );
    page.screenshot(&shot("live-1-dialog.png")).await;
    if let Some(path) = std::env::var_os("MISSIOND_BOARD_SCREENSHOT") {
        page.screenshot(Path::new(&path)).await;
    }

    // The same on a phone: the card with its dialog and the terminal fit 390 px.
    page.viewport(390, 844, true).await;
    until(&mut page, "the phone layout", |v| v["innerWidth"] == 390).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let phone = page.eval(SNAPSHOT).await;
    assert!(
        phone["scrollWidth"].as_u64() <= phone["innerWidth"].as_u64(),
        "horizontal scroll at 390 px with a dialog open: {} > {}",
        phone["scrollWidth"],
        phone["innerWidth"]
    );
    page.screenshot(&shot("live-1-dialog-phone.png")).await;
    page.viewport(1280, 900, false).await;
    until(&mut page, "the wide layout again", |v| {
        v["innerWidth"] == 1280
    })
    .await;

    // The third option, chosen on the page.
    page.eval(
        r#"document.querySelector('.slot-card[data-slot="c1"] .dialog button.option[data-option="3"]').click()"#,
    )
    .await;
    let label = third["label"].as_str().expect("label").to_string();
    let chosen = until(&mut page, "the choice confirmed as a success", |v| {
        s(v, "toasts").contains(&format!("chose \"{label}\""))
    })
    .await;
    assert_eq!(s(&chosen, "errors"), "", "{chosen:#}");
    let deadline = Instant::now() + LIMIT;
    loop {
        let st = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
        if st["state"] == "Idle" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "c1 never idle after the choice: {st}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // What the third option meant happened.
    let written = w.proj.join("board.txt");
    // (In 2.1.331's manual mode it is "Yes, and switch to auto mode", meaning `other`.)
    let allowed =
        matches!(third["meaning"].as_str(), Some("yes" | "yes_always")) || label.starts_with("Yes");
    let deadline = Instant::now() + LIMIT;
    while allowed && !written.exists() {
        assert!(Instant::now() < deadline, "{label:?} chosen, yet no file");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !allowed {
        assert!(
            !written.exists(),
            "{label:?} chosen, yet the file was written"
        );
    }
    assert!(s(&task, "taskId").starts_with('t'), "{task}");

    // Tokens and cost of the slot's current session on its card, priced from the daemon
    // home's prices.json (the mock's model is in no shipped table).
    std::fs::write(
        w.daemon.home.join("prices.json"),
        r#"{"models": {"claude-opus-5-5": {"input": 100, "output": 500, "cacheWrite": 125, "cacheRead": 10}}}"#,
    )
    .expect("prices.json");
    let agents = ok(&client, "mission_agents", json!({})).await;
    let session = s(&agents["agents"][0], "sessionId");
    // The card is refreshed as the transcript grows: the first priced value may predate
    // the turn's last message, so the card is read until it agrees with the store.
    let deadline = Instant::now() + LIMIT;
    let (usage, expected) = loop {
        let convs = ok(
            &client,
            "mission_conversation_list",
            json!({"slotId": "c1"}),
        )
        .await;
        let conv = convs["conversations"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["sessionId"] == session.as_str()))
            .cloned()
            .unwrap_or_else(|| panic!("no conversation {session}: {convs}"));
        let stats = ok(
            &client,
            "mission_token_stats",
            json!({"slotId": "c1", "since": conv["startedAt"]}),
        )
        .await;
        let n = |row: &Value, k: &str| row[k].as_f64().unwrap_or_else(|| panic!("{k} in {row}"));
        let expected: f64 = stats["byModel"]
            .as_array()
            .expect("byModel")
            .iter()
            .map(|r| {
                assert_eq!(r["key"], "claude-opus-5-5", "{stats}");
                (n(r, "inputTokens") * 100.0
                    + n(r, "outputTokens") * 500.0
                    + n(r, "cacheCreationTokens") * 125.0
                    + n(r, "cacheReadTokens") * 10.0)
                    / 1e6
            })
            .sum();
        assert!(expected > 0.0, "{stats}");
        let priced = until(&mut page, "the session's cost on the card", |v| {
            s(v, "usage").contains('$')
        })
        .await;
        let usage = s(&priced, "usage");
        let shown: f64 = usage
            .split('$')
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("no cost in {usage:?}"));
        if (shown - expected).abs() < 0.006 {
            break (usage, expected);
        }
        assert!(
            Instant::now() < deadline,
            "{usage:?} but the session cost {expected}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(usage.contains("tokens"), "{usage:?}");
    // The usage table: the slot over every session (here the one), at the same price.
    let cost_in = |row: &str| -> Option<f64> {
        row.split('$')
            .nth(1)
            .and_then(|t| {
                t.trim_start()
                    .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .next()
            })
            .and_then(|t| t.parse().ok())
    };
    // The table refreshes on its own period; it is read until it shows the card's cost
    // (both move on together when the turn's last message is stored after the card first
    // agreed with the store, so the card of the same moment is the reference).
    let table = until(&mut page, "the slot's cost in the usage table", |v| match (
        cost_in(&s(v, "usageRow")),
        cost_in(&s(v, "usage")),
    ) {
        (Some(row), Some(card)) => (row - card).abs() < 0.006 && row >= expected - 0.006,
        _ => false,
    })
    .await;
    let row = s(&table, "usageRow");
    assert!(cost_in(&row).is_some(), "no cost in {row:?}");

    // The conversation: opened from the list, the prompt shown, thinking and the tool call
    // folded.
    until(&mut page, "the conversation listed", |v| {
        s(v, "conversations").contains("c1")
    })
    .await;
    page.eval(r#"document.querySelector('#conversations button.open-convo').click()"#)
        .await;
    let opened = until(&mut page, "the conversation open", |v| {
        v["messages"].as_array().is_some_and(|m| {
            m.iter().any(|x| s(x, "text").contains(PROMPT))
                && m.iter().any(|x| x["kind"] == "msg-thinking")
                && m.iter().any(|x| x["kind"] == "msg-tool")
        })
    })
    .await;
    let messages = opened["messages"].as_array().expect("messages");
    let thinking = messages
        .iter()
        .find(|x| x["kind"] == "msg-thinking")
        .expect("thinking");
    assert_eq!(thinking["folded"], true, "{thinking}");
    assert!(s(thinking, "text").contains(THOUGHT), "{thinking}");
    let tool = messages
        .iter()
        .find(|x| x["kind"] == "msg-tool")
        .expect("tool call");
    assert_eq!(tool["folded"], true, "{tool}");
    assert!(s(tool, "summary").contains("Bash"), "{tool}");
    assert!(
        s(tool, "summary").contains("echo board > board.txt"),
        "{tool}"
    );
    page.screenshot(&shot("live-2-conversation.png")).await;

    // A search across conversations finds the prompt's words.
    page.eval(
        r#"document.getElementById('convo-search').value = 'board file';
           document.getElementById('convo-search-form').requestSubmit()"#,
    )
    .await;
    let found = until(&mut page, "search hits", |v| s(v, "hits").contains("hit")).await;
    assert!(s(&found, "hits").contains("board"), "{found:#}");
    assert!(!s(&found, "hits").starts_with("0 hits"), "{found:#}");

    // A question dialog takes the person's own words: typed on the card, sent as text.
    page.eval("document.getElementById('convo-close').click()")
        .await;
    ok(
        &client,
        "mission_submit",
        json!({"prompt": "Please name the project for me."}),
    )
    .await;
    let asked = wait_state(&client, "Confirming").await;
    assert!(
        asked["dialog"]["options"]
            .as_array()
            .is_some_and(|o| o.iter().any(|x| x["meaning"] == "free_text")),
        "{asked}"
    );
    until(&mut page, "the free-text box on the card", |v| {
        v["freeText"].as_bool() == Some(true)
    })
    .await;
    page.eval(
        r#"(() => { const box = document.querySelector('.slot-card[data-slot="c1"] .dialog input.free-text');
                    box.value = 'orbit'; box.form.requestSubmit(); })()"#,
    )
    .await;
    until(&mut page, "the free-text answer confirmed", |v| {
        s(v, "toasts").contains("c1: chose")
    })
    .await;
    let deadline = Instant::now() + LIMIT;
    loop {
        let found = ok(
            &client,
            "mission_conversation_search",
            json!({"query": "orbit", "slotId": "c1"}),
        )
        .await;
        if found["hits"].as_array().is_some_and(|h| !h.is_empty()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the typed answer never reached Claude Code"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // A tool running: the card names it and its argument (from the PreToolUse hook), not
    // the spinner's verb. (The rule lets it run without a dialog; set only now, as rules
    // make every other call ask through the hook, with fewer options than above.)
    wait_state(&client, "Idle").await;
    ok(
        &client,
        "mission_permission_set_role",
        json!({"role": "coder", "allow": ["Bash(sleep *)"]}),
    )
    .await;
    ok(&client, "mission_submit", json!({"prompt": SLOW_PROMPT})).await;
    let deadline = Instant::now() + LIMIT;
    let running = loop {
        let st = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
        if st["state"] == "ToolRunning" && st.get("currentTool").is_some() {
            break st;
        }
        assert!(Instant::now() < deadline, "c1 never ran its tool: {st}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        running["currentTool"],
        json!({"tool": "Bash", "summary": SLOW_COMMAND}),
        "{running}"
    );
    let shown = until(&mut page, "the running tool on the card", |v| {
        v["tool"] == "Bash"
    })
    .await;
    assert_eq!(s(&shown, "toolArg"), SLOW_COMMAND, "{shown:#}");
    assert!(s(&shown, "doing").starts_with("running Bash"), "{shown:#}");
    page.eval(r#"document.querySelector('.slot-card[data-slot="c1"]').scrollIntoView()"#)
        .await;
    page.screenshot(&shot("live-3-tool-running.png")).await;
    until(&mut page, "the tool line gone once the turn ended", |v| {
        v["state"] == "Idle" && s(v, "tool").is_empty()
    })
    .await;

    // A phone: 390 px wide, nothing wider than the screen.
    page.viewport(390, 844, true).await;
    until(&mut page, "the phone layout", |v| v["innerWidth"] == 390).await;
    // Let the terminals rescale to the new width.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let phone = page.eval(SNAPSHOT).await;
    assert!(
        phone["scrollWidth"].as_u64() <= phone["innerWidth"].as_u64(),
        "horizontal scroll at 390 px: {} > {}",
        phone["scrollWidth"],
        phone["innerWidth"]
    );
    page.screenshot(&shot("live-4-phone.png")).await;
}
