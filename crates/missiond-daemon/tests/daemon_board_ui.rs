//! The board: `POST /rpc` over real HTTP against a real daemon, `missiond board`, the
//! read-only token, and the page itself in a REAL headless chromium driven over the
//! DevTools protocol (slots, board, questions, escaping, a live state change, buttons
//! that act, the live terminal). The browser tests are skipped with a line on stderr
//! when chromium is not installed, unless MISSIOND_E2E_REQUIRED=1 (chromium:
//! `MISSIOND_CHROMIUM`, else `/usr/bin/chromium`).

mod board_support;
mod daemon_support;

use std::path::Path;
use std::process::Command;

use board_support::{Browser, Page, Web, chromium, http, screenshot_dir};
use daemon_support::{Daemon, err_code, ok};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

fn bash_world(tmp: &Path) -> Daemon {
    let yaml = format!(
        "slots:\n  - id: sh\n    role: shell\n    cwd: {}\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    env: {{PS1: \"sh$ \"}}\n    cols: 80\n    rows: 24\n",
        json!(tmp.display().to_string())
    );
    Daemon::start(&tmp.join("home"), Some(&yaml))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_serves_catalogue_tools_with_the_token_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;

    // A tool call lands in the same store the Unix socket reads.
    let (status, created) = web
        .rpc("mission_board_create", json!({"title": "made over http"}))
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["result"]["boardTaskId"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {created}"));
    let listed = ok(&client, "mission_board_list", json!({})).await;
    assert_eq!(listed["tasks"][0]["boardTaskId"], id, "{listed}");
    assert_eq!(listed["tasks"][0]["title"], "made over http");

    // Tool errors are JSON-RPC errors with HTTP 200.
    let (status, answer) = web
        .rpc("mission_pty_status", json!({"slotId": "nope"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    assert_eq!(answer["error"]["data"]["slotId"], "nope", "{answer}");
    let (status, answer) = web.rpc("mission_board_create", json!({"title": ""})).await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32602, "{answer}");

    let (status, answer) = web.rpc("mission_nope", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
    assert_eq!(answer["error"]["data"]["method"], "mission_nope");

    // The hook relay exists on the socket (it answers about the slot) but not over HTTP.
    let hook = json!({"slot": "nope", "event": "Stop", "payload": {}});
    err_code(&client, "hook.event", hook.clone(), -32001).await;
    let (status, answer) = web.rpc("hook.event", hook).await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32601, "{answer}");

    // Malformed bodies: 400 with a reason.
    for (body, needle) in [
        (&b"{not json"[..], "parse error"),
        (br#"{"params": {}}"#, "method"),
        (br#"{"method": "mission_health", "id": 1}"#, "unknown field"),
    ] {
        let (status, text) = web.rpc_raw(body).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    let (status, text) = web
        .rpc_raw(br#"{"method": "mission_health", "params": [1]}"#)
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("params"), "{text}");

    // Over 1 MiB: 413.
    let title = "x".repeat(1 << 20);
    let huge = json!({"method": "mission_board_create", "params": {"title": title}}).to_string();
    let (status, text) = web.rpc_raw(huge.as_bytes()).await;
    assert_eq!(status, 413, "{}", &text[..text.len().min(300)]);

    // No token, a wrong one, or another site's page: refused before any tool runs.
    let call = br#"{"method": "mission_board_create", "params": {"title": "intruder"}}"#;
    let (status, _) = http(&web.host, "POST", "/rpc", &[], call).await;
    assert_eq!(status, 401);
    let wrong = [("Authorization", "Bearer not-the-token")];
    let (status, _) = http(&web.host, "POST", "/rpc", &wrong, call).await;
    assert_eq!(status, 401);
    let auth = format!("Bearer {}", web.token);
    let foreign = [
        ("Authorization", auth.as_str()),
        ("Origin", "https://evil.example"),
    ];
    let (status, _) = http(&web.host, "POST", "/rpc", &foreign, call).await;
    assert_eq!(status, 403);
    let titles = ok(&client, "mission_board_list", json!({})).await;
    assert_eq!(titles["total"], 1, "{titles}");

    // The page and its files are served without the token; they hold none.
    let (status, page) = http(&web.host, "GET", "/", &[], b"").await;
    assert_eq!(status, 200);
    assert!(page.contains("missiond board"), "{page}");
    assert!(!page.contains(&web.token));
    let (status, script) = http(&web.host, "GET", "/board.js", &[], b"").await;
    assert_eq!(status, 200);
    assert!(script.contains("/rpc"));

    // Still serving.
    let (status, health) = web.rpc("mission_health", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(health["result"]["slotsConfigured"], 1, "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_command_prints_the_url_with_the_token() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(&tmp.path().join("home"), Some("slots: []\n"));
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;
    let out = Command::new(env!("CARGO_BIN_EXE_missiond"))
        .arg("board")
        .env("MISSIOND_HOME", &daemon.home)
        .env_remove("MISSION_IPC_ENDPOINT")
        .output()
        .expect("running missiond board");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(url, format!("http://{}/?token={}", web.host, web.token));
    // The URL is the page.
    let path = url
        .strip_prefix(&format!("http://{}", web.host))
        .expect("path");
    let (status, page) = http(&web.host, "GET", path, &[], b"").await;
    assert_eq!(status, 200);
    assert!(page.contains("<title>missiond board</title>"));
}

// ---- the browser ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_only_token_sees_and_is_refused_every_action() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;
    assert_ne!(web.view_token, web.token);
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let view = Web {
        host: web.host.clone(),
        token: web.view_token.clone(),
        view_token: web.view_token.clone(),
    };

    // It reads.
    let (status, agents) = view.rpc("mission_agents", json!({})).await;
    assert_eq!(status, 200, "{agents}");
    assert_eq!(agents["result"]["agents"][0]["slotId"], "sh", "{agents}");
    let (status, inbox) = view.rpc("mission_inbox", json!({"markRead": false})).await;
    assert_eq!(status, 200, "{inbox}");
    assert!(inbox["result"]["messages"].is_array(), "{inbox}");

    // It acts on nothing, whatever the page would send: refused before any tool runs.
    for (method, params) in [
        ("mission_board_create", json!({"title": "by a viewer"})),
        ("mission_pty_kill", json!({"slotId": "sh"})),
        (
            "mission_pty_send",
            json!({"slotId": "sh", "message": "touch viewer-was-here"}),
        ),
        ("mission_inbox", json!({})),
        ("mission_inbox", json!({"markRead": true})),
    ] {
        let (status, answer) = view.rpc(method, params).await;
        assert_eq!(status, 403, "{method}: {answer}");
        assert_eq!(answer["error"]["code"], -32012, "{method}: {answer}");
    }
    let board = ok(&client, "mission_board_list", json!({})).await;
    assert_eq!(board["total"], 0, "{board}");
    let agents = ok(&client, "mission_agents", json!({})).await;
    assert_ne!(agents["agents"][0]["state"], "Stopped", "{agents}");
    assert!(!tmp.path().join("viewer-was-here").exists());

    // Its terminal is view-only: control is refused at the handshake, and what it types
    // in view mode is refused by the server.
    let control = format!(
        "ws://{}/pty/sh?mode=control&token={}",
        web.host, web.view_token
    );
    let refused = connect_async(control).await;
    assert!(
        refused.is_err(),
        "a read-only token got a controlling terminal"
    );
    let (mut ws, _) = connect_async(format!("ws://{}/pty/sh?token={}", web.host, web.view_token))
        .await
        .expect("attaching to view");
    let hello = ws.next().await.expect("a frame").expect("a frame");
    let hello: Value = serde_json::from_str(hello.to_text().expect("text")).expect("json");
    assert_eq!(hello["readOnly"], true, "{hello}");
    futures::SinkExt::send(&mut ws, Message::binary(b"touch viewer-typed\r".to_vec()))
        .await
        .expect("send");
    let deadline = std::time::Instant::now() + board_support::LIMIT;
    loop {
        let frame = tokio::time::timeout(board_support::LIMIT, ws.next())
            .await
            .expect("an answer")
            .expect("open")
            .expect("a frame");
        if let Message::Text(t) = frame {
            let v: Value = serde_json::from_str(t.as_str()).expect("json");
            if v["type"] == "error" {
                assert!(s(&v, "message").contains("mode=view"), "{v}");
                break;
            }
        }
        assert!(std::time::Instant::now() < deadline, "no refusal");
    }
    assert!(!tmp.path().join("viewer-typed").exists());

    // `missiond board --view` prints the read-only URL; /health says which token it is.
    let out = Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(["board", "--view"])
        .env("MISSIOND_HOME", &daemon.home)
        .env_remove("MISSION_IPC_ENDPOINT")
        .output()
        .expect("running missiond board --view");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(
        url,
        format!("http://{}/?token={}", web.host, web.view_token)
    );
    let auth = format!("Bearer {}", web.view_token);
    let (status, health) = http(
        &web.host,
        "GET",
        "/health",
        &[("Authorization", &auth)],
        b"",
    )
    .await;
    assert_eq!(status, 200);
    assert!(health.contains(r#""access":"view""#), "{health}");
    let auth = format!("Bearer {}", web.token);
    let (_, health) = http(
        &web.host,
        "GET",
        "/health",
        &[("Authorization", &auth)],
        b"",
    )
    .await;
    assert!(health.contains(r#""access":"full""#), "{health}");
}

/// What the test reads off the board.
const SNAPSHOT: &str = r#"(() => {
  const text = (sel) => { const n = document.querySelector(sel); return n ? n.textContent : null; };
  const term = document.querySelector('.term-panel[data-slot="sh"] .xterm-rows');
  return {
    ready: document.readyState,
    notice: document.getElementById('notice') ? !document.getElementById('notice').hidden : null,
    app: document.getElementById('app') ? !document.getElementById('app').hidden : null,
    noticeText: text('#notice'),
    slotState: text('.slot-card[data-slot="sh"] .state'),
    slotRole: text('.slot-card[data-slot="sh"] .role'),
    board: text('#board'),
    questions: text('#questions'),
    terminal: term ? term.innerText : null,
    events: text('#events'),
    errors: text('#errors'),
    toasts: text('#toasts'),
    conn: text('#conn'),
    mode: document.getElementById('mode') ? !document.getElementById('mode').hidden : null,
    actions: document.querySelectorAll('button.kill, button.spawn, #board-form:not([hidden])').length,
    images: document.querySelectorAll('img').length,
    pwned: window.__pwned === true,
  };
})()"#;

async fn until(page: &mut Page, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    page.until(SNAPSHOT, what, pred).await
}

/// Type `text` key by key into the focused element, as a person would.
async fn type_keys(page: &mut Page, text: &str) {
    for c in text.chars() {
        let key = c.to_string();
        page.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyDown", "key": key, "text": key}),
        )
        .await;
        page.call(
            "Input.dispatchKeyEvent",
            json!({"type": "keyUp", "key": key}),
        )
        .await;
    }
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_in_chromium_shows_the_daemon_and_acts() {
    let Some(exe) = chromium() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;

    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let hostile = r#"Ship <img src=x onerror="window.__pwned=true"> now"#;
    ok(&client, "mission_board_create", json!({"title": hostile})).await;
    let question = ok(
        &client,
        "mission_question_create",
        json!({"question": "Which port should the proxy use?", "options": ["8080", "9090"]}),
    )
    .await;
    let question_id = s(&question, "questionId");

    let (_browser, devtools) = Browser::start(&exe, &tmp.path().join("chrome"));
    let mut page = Page::attach(&devtools).await;

    // Without the token the page says where to get the URL, and calls nothing.
    page.goto(&format!("http://{}/", web.host)).await;
    let first = until(&mut page, "the notice", |v| {
        v["notice"] == true && v["app"] == false
    })
    .await;
    assert!(
        s(&first, "noticeText").contains("missiond board"),
        "{first}"
    );

    page.goto(&format!("http://{}/?token={}", web.host, web.token))
        .await;
    let shown = until(
        &mut page,
        "the slot, the board and the question, live",
        |v| {
            v["slotState"].is_string()
                && s(v, "board").contains("now")
                && s(v, "questions").contains("proxy")
                && v["conn"] == "live"
        },
    )
    .await;
    let agents = ok(&client, "mission_agents", json!({})).await;
    let state = s(&agents["agents"][0], "state");
    assert_ne!(state, "Stopped", "{agents}");
    assert_eq!(s(&shown, "slotState"), state, "{shown:#}");
    assert_eq!(s(&shown, "slotRole"), "shell");
    assert_eq!(
        shown["mode"], false,
        "the full token is not read-only: {shown:#}"
    );
    assert!(s(&shown, "questions").contains("Which port should the proxy use?"));
    // The hostile title is text, not markup: no image, no script ran.
    assert!(s(&shown, "board").contains(hostile), "{shown:#}");
    assert_eq!(shown["images"], 0, "{shown:#}");
    assert_eq!(shown["pwned"], false);
    assert_eq!(s(&shown, "errors"), "", "{shown:#}");

    // A state change after the load reaches the page through /events.
    ok(&client, "mission_pty_kill", json!({"slotId": "sh"})).await;
    let live = until(&mut page, "the slot stopping", |v| {
        v["slotState"] == "Stopped" && s(v, "events").contains("slot_state sh")
    })
    .await;
    let change = format!("slot_state sh {state} -> ");
    assert!(s(&live, "events").contains(&change), "{change}: {live:#}");

    // Buttons act: spawn the slot again from its card; a success is a success.
    page.eval(r#"document.querySelector('.slot-card[data-slot="sh"] button.spawn').click()"#)
        .await;
    let spawned = until(&mut page, "the slot running again", |v| {
        v["slotState"].is_string() && v["slotState"] != "Stopped"
    })
    .await;
    let agents = ok(&client, "mission_agents", json!({})).await;
    assert_ne!(agents["agents"][0]["state"], "Stopped", "{agents}");
    let done = until(&mut page, "the spawn's success note", |v| {
        s(v, "toasts").contains("sh started")
    })
    .await;
    assert_eq!(
        s(&done, "errors"),
        "",
        "a success went to the error list: {spawned:#}"
    );

    // Kill asks first: one click shows a confirmation, nothing is killed yet.
    page.eval(r#"document.querySelector('.slot-card[data-slot="sh"] button.kill').click()"#)
        .await;
    let asked = page
        .eval(r#"document.querySelector('.slot-card[data-slot="sh"] .confirm')?.textContent || ''"#)
        .await;
    assert!(
        asked.as_str().unwrap_or_default().contains("kill sh?"),
        "{asked}"
    );
    let agents = ok(&client, "mission_agents", json!({})).await;
    assert_ne!(
        agents["agents"][0]["state"], "Stopped",
        "killed without confirmation: {agents}"
    );
    page.eval(r#"document.querySelector('.slot-card[data-slot="sh"] .confirm button:last-child').click()"#)
        .await;

    // The live terminal of the slot: what it prints shows, in colour.
    page.eval(r#"[...document.querySelectorAll('.slot-card[data-slot="sh"] button')].find(b => b.textContent === 'terminal').click()"#)
        .await;
    let _ = client
        .call(
            "mission_pty_send",
            json!({"slotId": "sh", "message": "printf 'board-screen-%s \\033[31mred\\033[0m\\n' $((6*7))", "timeoutMs": 500}),
        )
        .await;
    until(&mut page, "the terminal", |v| {
        s(v, "terminal").contains("board-screen-42 red")
    })
    .await;
    // The red comes through xterm.js's own style sheet (mirrored under the strict CSP).
    let red = page
        .eval(r#"(() => { const span = [...document.querySelectorAll('.term-panel[data-slot="sh"] .xterm-rows span')].find(s => s.textContent === 'red'); return span ? getComputedStyle(span).color : null; })()"#)
        .await;
    let red = red.as_str().unwrap_or_default().to_string();
    let rgb: Vec<u32> = red
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    assert!(
        rgb.len() == 3 && rgb[0] > 150 && rgb[1] < 120 && rgb[2] < 120,
        "not red: {red:?}"
    );
    // View-only by default: keys typed into it go nowhere.
    let typing = page
        .eval(
            r#"document.querySelector('.term-panel[data-slot="sh"]').classList.contains('typing')"#,
        )
        .await;
    assert_eq!(typing, false);
    let press_enter = json!({"type": "keyDown", "key": "Enter", "code": "Enter",
                             "windowsVirtualKeyCode": 13, "text": "\r"});
    page.eval(r#"document.querySelector('.term-panel[data-slot="sh"] textarea').focus()"#)
        .await;
    type_keys(&mut page, "echo viewer-$((2+3))").await;
    page.call("Input.dispatchKeyEvent", press_enter.clone())
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let screen = ok(&client, "mission_pty_screen", json!({"slotId": "sh"})).await;
    assert!(
        !s(&screen, "screen").contains("viewer-"),
        "typed while viewing: {screen}"
    );

    // After the explicit switch, what is typed reaches the slot.
    page.eval(r#"document.querySelector('.term-panel[data-slot="sh"] button.term-type').click()"#)
        .await;
    page.until(
        r#"document.querySelector('.term-panel[data-slot="sh"] .term-state').textContent"#,
        "the terminal attached for typing",
        |v| v.as_str().is_some_and(|t| t.contains("typing")),
    )
    .await;
    page.eval(r#"document.querySelector('.term-panel[data-slot="sh"] textarea').focus()"#)
        .await;
    type_keys(&mut page, "echo typed-$((2+3))").await;
    page.call("Input.dispatchKeyEvent", press_enter).await;
    until(&mut page, "the typed command's output", |v| {
        s(v, "terminal").contains("typed-5")
    })
    .await;

    // The terminal follows the slot through a restart.
    ok(&client, "mission_pty_kill", json!({"slotId": "sh"})).await;
    page.until(
        r#"document.querySelector('.term-panel[data-slot="sh"] .term-state').textContent"#,
        "the terminal saying the slot ended",
        |v| {
            v.as_str()
                .is_some_and(|t| t.contains("exited") || t.contains("not running"))
        },
    )
    .await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let _ = client
        .call(
            "mission_pty_send",
            json!({"slotId": "sh", "message": "echo again-$((5*5))", "timeoutMs": 500}),
        )
        .await;
    until(&mut page, "the restarted slot's output", |v| {
        s(v, "terminal").contains("again-25")
    })
    .await;

    // Keyboard: `j` picks the slot, `?` opens the help; keys typed in a field are text.
    page.eval("document.activeElement && document.activeElement.blur()")
        .await;
    type_keys(&mut page, "j?").await;
    let keyed = page
        .eval(
            r#"[document.querySelector('.slot-card[data-slot="sh"]').classList.contains('selected'),
                !document.getElementById('help-panel').hidden]"#,
        )
        .await;
    assert_eq!(keyed, json!([true, true]));

    // Add a board task from the form.
    page.eval(
        r#"document.getElementById('board-title').value = 'added in the browser';
           document.getElementById('board-form').requestSubmit()"#,
    )
    .await;
    until(&mut page, "the new board task", |v| {
        s(v, "board").contains("added in the browser")
    })
    .await;
    let listed = ok(&client, "mission_board_list", json!({})).await;
    assert!(
        listed["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["title"] == "added in the browser"),
        "{listed}"
    );

    // Answer the question with one of its option buttons.
    page.eval(&format!(
        r#"[...document.querySelectorAll('li[data-question="{question_id}"] button')].find(b => b.textContent === '9090').click()"#
    ))
    .await;
    until(&mut page, "the question gone from the pending list", |v| {
        !s(v, "questions").contains("proxy")
    })
    .await;
    let answered = ok(
        &client,
        "mission_question_get",
        json!({"questionId": question_id}),
    )
    .await;
    assert_eq!(answered["status"], "answered", "{answered}");
    assert_eq!(answered["answer"], "9090");
    page.screenshot(&screenshot_dir().join("board-bash.png"))
        .await;

    // The read-only address: everything shows, no action is offered.
    page.goto(&format!("http://{}/?token={}", web.host, web.view_token))
        .await;
    let viewing = until(&mut page, "the read-only board", |v| {
        v["slotState"].is_string() && v["conn"] == "live" && v["mode"] == true
    })
    .await;
    assert_eq!(viewing["actions"], 0, "{viewing:#}");
    assert!(
        s(&viewing, "board").contains("added in the browser"),
        "{viewing:#}"
    );
}
