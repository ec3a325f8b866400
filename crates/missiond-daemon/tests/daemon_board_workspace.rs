//! The board's workspace view in a REAL headless chromium: a slot with its own git
//! worktree (made by the daemon from a real repository) is listed with its branch against
//! the base, and its diff opens with added lines marked, the agent's text inserted as
//! text. Skipped with a line on stderr when chromium is not installed, unless
//! MISSIOND_E2E_REQUIRED=1.

mod board_support;
mod daemon_support;

use std::time::{Duration, Instant};

use board_support::{Browser, Page, Web, chromium, screenshot_dir};
use daemon_support::{Daemon, git_repo, ok};
use serde_json::{Value, json};

/// What the page shows of the workspaces section.
const SNAPSHOT: &str = r#"(() => {
  const q = (s) => document.querySelector(s);
  // Still loading: nothing to read yet.
  if (!q('#workspaces-section') || !q('#diff-view') || !q('#diff-body')) return {};
  const row = q('[data-workspace="w"]');
  const body = q('#diff-body');
  return {
    section: !q('#workspaces-section').hidden,
    row: row ? row.textContent : null,
    diffButton: !!(row && row.querySelector('.open-diff')),
    diffOpen: !q('#diff-view').hidden,
    title: q('#diff-title').textContent,
    files: q('#diff-files').textContent,
    added: [...document.querySelectorAll('#diff-body .diff-add')].map((n) => n.textContent),
    markupInDiff: body.querySelectorAll('b, img, script').length,
    pwned: window.__pwned === true,
  };
})()"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slots_worktree_and_its_diff_are_shown_on_the_board() {
    let Some(exe) = chromium() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("app");
    git_repo(&repo, "hello\n");
    let yaml = format!(
        "slots:\n  - id: w\n    role: coder\n    cwd: {}\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    isolation: none\n    workspace: worktree\n",
        json!(repo.display().to_string())
    );
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&yaml));
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;

    ok(&client, "mission_pty_spawn", json!({"slotId": "w"})).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let st = ok(&client, "mission_workspace_status", json!({"slotId": "w"})).await;
        if st["exists"] == true {
            break st;
        }
        assert!(Instant::now() < deadline, "no worktree: {st}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let worktree = std::path::PathBuf::from(status["worktree"].as_str().expect("worktree"));
    // The agent's work: one committed file, one not yet, with markup in it.
    std::fs::write(worktree.join("done.txt"), "committed work\n").unwrap();
    ok(
        &client,
        "mission_workspace_commit",
        json!({"slotId": "w", "message": "work"}),
    )
    .await;
    std::fs::write(
        worktree.join("notes.md"),
        "<b>bold</b> <img src=x onerror=\"window.__pwned=true\">\n",
    )
    .unwrap();

    let (_browser, devtools) = Browser::start(&exe, &tmp.path().join("chrome"));
    let mut page = Page::attach(&devtools).await;
    page.goto(&format!("http://{}/?token={}", web.host, web.token))
        .await;
    let listed = page
        .until(SNAPSHOT, "the slot's workspace", |v: &Value| {
            v["section"] == true && v["diffButton"] == true
        })
        .await;
    let row = listed["row"].as_str().unwrap_or_default();
    assert!(row.contains("missiond/w"), "the branch: {listed:#}");
    assert!(row.contains("1 ahead, 0 behind main"), "{listed:#}");
    assert!(row.contains("1 uncommitted"), "{listed:#}");

    page.eval("document.querySelector('[data-workspace=\"w\"] .open-diff').click()")
        .await;
    let shown = page
        .until(SNAPSHOT, "the diff", |v: &Value| {
            v["diffOpen"] == true && v["added"].as_array().is_some_and(|a| a.len() >= 2)
        })
        .await;
    page.screenshot(&screenshot_dir().join("workspace-diff.png"))
        .await;
    assert!(
        shown["title"]
            .as_str()
            .unwrap_or_default()
            .contains("w against main"),
        "{shown:#}"
    );
    let files = shown["files"].as_str().unwrap_or_default();
    assert!(
        files.contains("done.txt") && files.contains("notes.md"),
        "{shown:#}"
    );
    let added: Vec<&str> = shown["added"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        added.iter().any(|l| l.starts_with("+committed work")),
        "{shown:#}"
    );
    assert!(
        added.iter().any(|l| l.starts_with("+<b>bold</b> <img")),
        "the agent's markup shown as text: {shown:#}"
    );
    assert_eq!(shown["markupInDiff"], 0, "{shown:#}");
    assert_eq!(shown["pwned"], false, "{shown:#}");
}
