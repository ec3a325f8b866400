//! The real Claude Code (print mode) against the mock. Skips, or fails under
//! MISSIOND_E2E_REQUIRED=1, when the binary is missing.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mock_anthropic::offline::{ClaudeHome, claude_for_test, configure};
use mock_anthropic::{Answer, Scenario, Server};
use serde_json::Value;

/// Generous: a cold start of the 400 MB binary on a loaded 2-core machine.
const DEADLINE: Duration = Duration::from_secs(120);

/// Runs `claude -p PROMPT --output-format json ARGS...` in `project`; returns the result JSON.
fn run_print_mode(
    claude: &Path,
    server: &Server,
    dir: &Path,
    prompt: &str,
    args: &[&str],
) -> Value {
    let project = dir.join("project");
    std::fs::create_dir_all(&project).expect("project dir");
    let home = ClaudeHome::create(dir.join("home"), &[&project]).expect("claude home");
    let mut command = Command::new(claude);
    command
        .args(["-p", prompt, "--output-format", "json"])
        .args(args)
        .current_dir(&project)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    configure(&mut command, home.path(), server.base_url());
    let mut child = command.spawn().expect("claude starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait on claude") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "claude did not finish within {DEADLINE:?}; requests: {:#?}",
                server.requests()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).expect("read stdout");
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr).expect("read stderr");
    }
    assert!(
        status.success(),
        "claude failed ({status}): {stdout}\n{stderr}"
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("result is not JSON ({e}): {stdout}"))
}

#[test]
fn print_mode_returns_the_scripted_text() {
    let Some(claude) = claude_for_test("print_mode_returns_the_scripted_text") else {
        return;
    };
    let scenario = Scenario::from_yaml(
        r#"
rules:
  - match: { contains: "capital of Freedonia" }
    steps:
      - thinking: "Freedonia is fictional; answer from the film."
        text: "The capital of Freedonia is Fredville, scripted."
        chunk_chars: 7
"#,
    )
    .expect("scenario");
    let server = Server::start(scenario).expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let result = run_print_mode(
        &claude,
        &server,
        dir.path(),
        "What is the capital of Freedonia?",
        &[],
    );
    assert_eq!(result["is_error"], false, "{result}");
    assert_eq!(
        result["result"],
        "The capital of Freedonia is Fredville, scripted."
    );

    let prompts: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| matches!(r.answer, Some(Answer::Rule { .. })))
        .collect();
    assert_eq!(prompts.len(), 1, "one request answered by the rule");
    assert_eq!(
        prompts[0].last_user_text,
        "What is the capital of Freedonia?"
    );
    assert!(
        prompts[0].tools.iter().any(|t| t == "Bash"),
        "Claude Code offers Bash"
    );
}

#[test]
fn print_mode_runs_a_scripted_bash_call() {
    let Some(claude) = claude_for_test("print_mode_runs_a_scripted_bash_call") else {
        return;
    };
    let scenario = Scenario::from_yaml(
        r#"
rules:
  - match: { contains: "greet the shell" }
    steps:
      - text: "Running it."
        tool_use: { name: Bash, input: { command: "echo hi", description: "Say hi" } }
      - text: "The shell said hi."
"#,
    )
    .expect("scenario");
    let server = Server::start(scenario).expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    let result = run_print_mode(
        &claude,
        &server,
        dir.path(),
        "please greet the shell",
        &["--allowedTools", "Bash"],
    );
    assert_eq!(result["result"], "The shell said hi.", "{result}");

    let log = server.requests();
    let first = answered_by(&log, 0, 0).expect("the prompt was answered by step 0");
    let tool_id = first
        .tool_use_ids
        .first()
        .expect("step 0 emitted a tool call")
        .clone();
    let second = answered_by(&log, 0, 1).expect("the tool result was answered by step 1");
    let result = second
        .tool_results
        .iter()
        .find(|r| r.tool_use_id == tool_id)
        .expect("the follow-up carries the tool_result");
    assert_eq!(result.content.trim(), "hi");
    assert!(!result.is_error);
}

/// The logged request that step `step` of unnamed rule `rule` answered.
fn answered_by(
    log: &[mock_anthropic::LoggedRequest],
    rule: usize,
    step: usize,
) -> Option<&mock_anthropic::LoggedRequest> {
    let wanted = Some(Answer::Rule {
        rule,
        step,
        name: None,
    });
    log.iter().find(|r| r.answer == wanted)
}
