//! The daemon on a TCP endpoint (`MISSION_IPC_ENDPOINT=tcp://127.0.0.1:PORT`, the
//! default on Windows), through real sockets: nothing is served before the token, the
//! token file is the user's own, the CLI finds the token, and another local user, made
//! by this test, gets nothing (needs root to create the user: skipped with a line on
//! stderr otherwise, and required when MISSIOND_E2E_REQUIRED=1).

mod daemon_support;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use missiond_core::ipc::{ClientError, Endpoint, IpcClient};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const LIMIT: Duration = Duration::from_secs(30);

/// A daemon listening on a TCP endpoint.
struct TcpDaemon {
    home: PathBuf,
    endpoint: Endpoint,
    child: Child,
}

impl TcpDaemon {
    fn start(root: &Path, env: &[(&str, &str)]) -> TcpDaemon {
        let home = root.join("home");
        std::fs::create_dir_all(&home).expect("home");
        let yaml = format!(
            "slots:\n  - id: sh\n    cwd: {}\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    env: {{PS1: \"sh$ \"}}\n",
            json!(root.display().to_string())
        );
        std::fs::write(home.join("slots.yaml"), yaml).expect("slots.yaml");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let endpoint = Endpoint::parse(&format!("tcp://127.0.0.1:{port}")).expect("endpoint");
        let child = Command::new(env!("CARGO_BIN_EXE_missiond"))
            .envs(env.iter().copied())
            .env("MISSIOND_HOME", &home)
            .env("MISSION_IPC_ENDPOINT", endpoint.to_string())
            .env("MISSION_WS_PORT", "0")
            .env_remove("MISSION_DB_PATH")
            .env_remove("MISSION_SLOTS_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(root.join("daemon.stderr")).expect("stderr"))
            .spawn()
            .expect("starting missiond");
        let deadline = Instant::now() + LIMIT;
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "missiond did not listen on {endpoint}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        TcpDaemon {
            home,
            endpoint,
            child,
        }
    }

    fn token_file(&self) -> PathBuf {
        self.home.join("ipc-token")
    }

    fn port(&self) -> u16 {
        match &self.endpoint {
            Endpoint::Tcp(addr) => addr.port(),
            Endpoint::Unix(_) => unreachable!(),
        }
    }

    /// `missiond ARGS` as this user, with the daemon's home and endpoint.
    fn cli(&self, args: &[&str], extra: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_missiond"))
            .args(args)
            .env("MISSIOND_HOME", &self.home)
            .env("MISSION_IPC_ENDPOINT", self.endpoint.to_string())
            .env_remove("MISSION_IPC_TOKEN")
            .envs(extra.iter().copied())
            .output()
            .expect("running missiond")
    }
}

impl Drop for TcpDaemon {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child; SIGTERM lets it end its slots.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one line on a fresh connection; returns the reply lines until the daemon
/// closes it (or [`LIMIT`]).
async fn raw_exchange(port: u16, line: &str) -> (Vec<Value>, bool) {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let (read, mut write) = stream.into_split();
    write
        .write_all(format!("{line}\n").as_bytes())
        .await
        .expect("write");
    let mut lines = BufReader::new(read).lines();
    let mut replies = Vec::new();
    let closed = tokio::time::timeout(LIMIT, async {
        while let Ok(Some(reply)) = lines.next_line().await {
            replies.push(serde_json::from_str(&reply).expect("JSON reply"));
        }
    })
    .await
    .is_ok();
    (replies, closed)
}

async fn slot_state(client: &IpcClient) -> String {
    let status = client
        .call("mission_pty_status", json!({"slotId": "sh"}))
        .await
        .expect("status");
    status["state"].as_str().unwrap_or_default().to_string()
}

fn tempdir_open_to_all() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Only the daemon's own 0700 home (and the 0600 file) may keep other users out.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    tmp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_endpoint_serves_only_the_token_holder() {
    let tmp = tempdir_open_to_all();
    let daemon = TcpDaemon::start(tmp.path(), &[]);

    // The token file: written before listening, this user's only.
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&daemon.token_file()), 0o600);
    assert_eq!(mode(&daemon.home), 0o700);
    let token = std::fs::read_to_string(daemon.token_file()).expect("token");
    let token = token.trim();
    assert!(token.len() >= 32, "a guessable token: {token:?}");

    // Without the token: the call is refused (not_allowed) and the connection closed.
    let spawn = json!({"jsonrpc": "2.0", "id": 1, "method": "mission_pty_spawn", "params": {"slotId": "sh"}});
    let (replies, closed) = raw_exchange(daemon.port(), &spawn.to_string()).await;
    assert!(closed, "the connection stayed open");
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert_eq!(replies[0]["error"]["code"], json!(-32012), "{replies:?}");
    // A wrong token: refused and closed.
    let auth = json!({"jsonrpc": "2.0", "id": 1, "method": "ipc.auth", "params": {"token": format!("{token}x")}});
    let (replies, closed) = raw_exchange(daemon.port(), &auth.to_string()).await;
    assert!(closed);
    assert_eq!(replies[0]["error"]["code"], json!(-32012), "{replies:?}");
    match IpcClient::connect_with_token(&daemon.endpoint, "wrong").await {
        Err(ClientError::Auth { .. }) => {}
        Err(other) => panic!("expected an Auth error, got {other}"),
        Ok(_) => panic!("a wrong token was accepted"),
    }

    // The right token works, and nothing above started the slot.
    let client = IpcClient::connect_with_token(&daemon.endpoint, token)
        .await
        .expect("the right token");
    assert_eq!(slot_state(&client).await, "Stopped");

    // The CLI finds the token in the home by itself; a wrong one in the environment is
    // refused.
    let out = daemon.cli(&["call", "mission_slots", "{}"], &[]);
    assert!(
        out.status.success(),
        "missiond call as the daemon's user: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"sh\""));
    let out = daemon.cli(
        &["call", "mission_pty_spawn", r#"{"slotId":"sh"}"#],
        &[("MISSION_IPC_TOKEN", "not-the-token")],
    );
    assert!(
        !out.status.success(),
        "a wrong MISSION_IPC_TOKEN was accepted"
    );
    assert_eq!(slot_state(&client).await, "Stopped");

    another_user_gets_nothing(&daemon, &client).await;
}

/// The attack as it was found: another local user reaches the TCP endpoint.
async fn another_user_gets_nothing(daemon: &TcpDaemon, client: &IpcClient) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let required = std::env::var("MISSIOND_E2E_REQUIRED").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "the other-user check needs root to create a user"
        );
        eprintln!(
            "skipping the other-user part of a_tcp_endpoint_serves_only_the_token_holder: not root (useradd needs root)"
        );
        return;
    }
    let (uid, gid) = intruder();
    let as_intruder = |program: &str, args: &[&str]| {
        let mut command = Command::new(program);
        command
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/nonexistent")
            .env("MISSIOND_HOME", &daemon.home)
            .env("MISSION_IPC_ENDPOINT", daemon.endpoint.to_string())
            .current_dir("/")
            .uid(uid)
            .gid(gid);
        command.output().expect("running as the other user")
    };

    // The token file is out of reach.
    let file = daemon.token_file().display().to_string();
    let out = as_intruder("cat", &[&file]);
    assert!(!out.status.success(), "another user read the token file");
    assert!(out.stdout.is_empty());

    // `missiond call mission_pty_spawn` as that user: refused, slot untouched.
    let out = as_intruder(
        env!("CARGO_BIN_EXE_missiond"),
        &["call", "mission_pty_spawn", r#"{"slotId":"sh"}"#],
    );
    assert!(
        !out.status.success(),
        "another user spawned a slot: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A raw client as that user, guessing: only a refusal comes back.
    let script = format!(
        "exec 3<>/dev/tcp/127.0.0.1/{port}; \
         printf '%s\\n' '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mission_pty_spawn\",\"params\":{{\"slotId\":\"sh\"}}}}' >&3; \
         timeout 20 cat <&3",
        port = daemon.port()
    );
    let out = as_intruder("bash", &["-c", &script]);
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.contains("-32012"), "no refusal: {answer:?}");
    assert!(
        !answer.contains("\"result\""),
        "a result for another user: {answer}"
    );
    let auth = format!(
        "exec 3<>/dev/tcp/127.0.0.1/{port}; \
         printf '%s\\n' '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ipc.auth\",\"params\":{{\"token\":\"guess\"}}}}' \
           '{{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"mission_pty_spawn\",\"params\":{{\"slotId\":\"sh\"}}}}' >&3; \
         timeout 20 cat <&3",
        port = daemon.port()
    );
    let out = as_intruder("bash", &["-c", &auth]);
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.contains("-32012"), "no refusal: {answer:?}");
    assert!(
        !answer.contains("\"result\""),
        "a result after a guess: {answer}"
    );

    // Judged by effect: the slot never started.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(slot_state(client).await, "Stopped");
}

/// A user of this machine other than the daemon's, created once (`useradd`).
fn intruder() -> (u32, u32) {
    const NAME: &str = "missiond-intruder";
    let id = |flag: &str| {
        Command::new("id")
            .args([flag, NAME])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<u32>()
                    .ok()
            })
    };
    if id("-u").is_none() {
        let out = Command::new("useradd")
            .args(["--no-create-home", "--shell", "/usr/sbin/nologin", NAME])
            .output()
            .expect("running useradd");
        // Another test run may have made it meanwhile.
        assert!(
            out.status.success() || id("-u").is_some(),
            "useradd failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (
        id("-u").expect("the user's uid"),
        id("-g").expect("the user's gid"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_given_in_the_environment_is_used_and_not_passed_to_slots() {
    let tmp = tempdir_open_to_all();
    let given = "given-token-abcdefghijklmnopqrstuvwxyz012345";
    // A file from an earlier start, with another token.
    std::fs::create_dir_all(tmp.path().join("home")).expect("home");
    std::fs::write(tmp.path().join("home/ipc-token"), "stale").expect("stale token");
    let daemon = TcpDaemon::start(tmp.path(), &[("MISSION_IPC_TOKEN", given)]);
    assert!(
        !daemon.token_file().exists(),
        "a token given in the environment is not written down, and a stale file goes"
    );
    let client = IpcClient::connect_with_token(&daemon.endpoint, given)
        .await
        .expect("the given token");
    // The CLI with the token in its environment.
    let out = daemon.cli(
        &["call", "mission_slots", "{}"],
        &[("MISSION_IPC_TOKEN", given)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A slot's shell does not inherit it.
    client
        .call("mission_pty_spawn", json!({"slotId": "sh"}))
        .await
        .expect("spawn");
    let _ = client
        .call(
            "mission_pty_send",
            json!({"slotId": "sh", "message": "echo TOKEN=[${MISSION_IPC_TOKEN:-none}]", "timeoutMs": 500}),
        )
        .await;
    let screen = daemon_support::wait_screen(&client, "sh", "TOKEN=[", LIMIT).await;
    let deadline = Instant::now() + LIMIT;
    let mut screen = screen;
    while !screen.contains("TOKEN=[none]") && !screen.contains(given) {
        assert!(Instant::now() < deadline, "no answer on screen:\n{screen}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        screen = client
            .call("mission_pty_screen", json!({"slotId": "sh"}))
            .await
            .expect("screen")["screen"]
            .as_str()
            .unwrap_or_default()
            .to_string();
    }
    assert!(
        !screen.contains(given),
        "the slot sees the token:\n{screen}"
    );
}
