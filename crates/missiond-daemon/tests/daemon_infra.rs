//! Infrastructure tools through a real daemon: infra.yaml read per call, reachability
//! against real loopback HTTP and TCP servers (up, down, hanging, with a secret header),
//! and mission_os_diagnose with a running shell slot. Needs no Claude Code.

mod daemon_support;

use std::time::{Duration, Instant};

use daemon_support::{Daemon, err_code, ok, shell_slot_yaml, wait_status};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const INVALID_PARAMS: i32 = -32602;
const CONFIG_ERROR: i32 = -32006;

/// A tiny HTTP server: `/ok` is 200, `/auth` is 200 only with the bearer token
/// `api-token` (401 otherwise), anything else 503.
async fn http_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&got).to_lowercase();
                let status = if req.starts_with("get /ok ") {
                    "200 OK"
                } else if req.starts_with("get /auth ") {
                    if req.contains("authorization: bearer api-token\r\n") {
                        "200 OK"
                    } else {
                        "401 Unauthorized"
                    }
                } else {
                    "503 Service Unavailable"
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi"
                );
                let _ = sock.write_all(reply.as_bytes()).await;
            });
        }
    });
    port
}

/// Accepts connections and never answers.
async fn hanging_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    port
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

fn by_name<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["results"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["name"] == name))
        .unwrap_or_else(|| panic!("no result for {name} in {results}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infra_list_get_and_reachability_over_real_servers() {
    let dir = tempfile::Builder::new().prefix("infra").tempdir().unwrap();
    let http = http_server().await;
    let hang = hanging_server().await;
    let closed = closed_port().await;
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tcp_port = tcp.local_addr().unwrap().port();
    // The secrets command of slots.yaml resolves `${secret:api-token}` to its path.
    let slots = "secrets:\n  command: [echo, \"{path}\"]\nslots: []\n";
    let daemon = Daemon::start(dir.path(), Some(slots));
    let client = daemon.client().await;

    // No file yet: an empty list, saying so.
    let empty = ok(&client, "mission_infra_list", json!({})).await;
    assert_eq!(empty["exists"], false, "{empty}");
    assert_eq!(empty["items"], json!([]));

    std::fs::write(
        dir.path().join("infra.yaml"),
        format!(
            "servers:\n\
             \x20 - name: db\n    address: 127.0.0.1\n    health: 127.0.0.1:{tcp_port}\n    tags: [prod, db]\n\
             \x20 - name: gone\n    health: 127.0.0.1:{closed}\n    tags: [prod]\n\
             \x20 - name: notes-only\n    notes: no health endpoint\n\
             services:\n\
             \x20 - name: web\n    kind: http\n    health: http://127.0.0.1:{http}/ok\n    tags: [prod, web]\n\
             \x20 - name: broken\n    health: http://127.0.0.1:{http}/fail\n\
             \x20 - name: private\n    health: http://127.0.0.1:{http}/auth\n    headers: {{Authorization: \"Bearer ${{secret:api-token}}\"}}\n\
             \x20 - name: stuck\n    health: http://127.0.0.1:{hang}/ok\n"
        ),
    )
    .unwrap();

    let list = ok(&client, "mission_infra_list", json!({"tag": "PROD"})).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["db", "gone", "web"]);
    let kinds = ok(&client, "mission_infra_list", json!({"kind": "http"})).await;
    assert_eq!(kinds["items"].as_array().unwrap().len(), 1);
    let private = ok(&client, "mission_infra_get", json!({"name": "private"})).await;
    assert_eq!(
        private["health"],
        format!("http://127.0.0.1:{http}/auth"),
        "the item is shown as written"
    );
    assert_eq!(private["lastProbe"], Value::Null);
    let data = err_code(
        &client,
        "mission_infra_get",
        json!({"name": "nope"}),
        INVALID_PARAMS,
    )
    .await;
    assert_eq!(data["field"], "name");

    let started = Instant::now();
    let r = ok(&client, "mission_reachability", json!({"timeoutMs": 700})).await;
    // Bounded by the timeout, not by the server that never answers (generous for load).
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(by_name(&r, "db")["up"], true, "{r}");
    assert_eq!(by_name(&r, "db")["kind"], "tcp");
    assert_eq!(by_name(&r, "gone")["up"], false);
    assert!(
        by_name(&r, "gone")["error"]
            .as_str()
            .unwrap()
            .contains("TCP connect"),
        "{r}"
    );
    assert_eq!(by_name(&r, "web")["up"], true);
    assert_eq!(by_name(&r, "web")["status"], 200);
    assert_eq!(by_name(&r, "broken")["up"], false);
    assert_eq!(by_name(&r, "broken")["status"], 503);
    assert_eq!(
        by_name(&r, "private")["status"],
        200,
        "the secret header was sent: {r}"
    );
    assert_eq!(by_name(&r, "stuck")["up"], false);
    assert!(
        by_name(&r, "stuck")["error"]
            .as_str()
            .unwrap()
            .contains("700 ms"),
        "{r}"
    );
    assert_eq!(r["skipped"], json!(["notes-only"]));
    assert_eq!(
        r["summary"],
        json!({"total": 6, "up": 3, "down": 3, "skipped": 1})
    );
    assert!(
        !r.to_string().contains("Bearer api-token"),
        "no secret in the result"
    );

    // The last probe is kept for the list (and the board).
    let web = ok(&client, "mission_infra_get", json!({"name": "web"})).await;
    assert_eq!(web["lastProbe"]["status"], 200, "{web}");

    let some = ok(
        &client,
        "mission_reachability",
        json!({"names": ["web"], "tags": ["db"]}),
    )
    .await;
    assert_eq!(some["summary"]["total"], 2, "{some}");
    let data = err_code(
        &client,
        "mission_reachability",
        json!({"names": ["web", "ghost"]}),
        INVALID_PARAMS,
    )
    .await;
    assert_eq!(data["field"], "names");
    err_code(
        &client,
        "mission_reachability",
        json!({"timeoutMs": 10}),
        INVALID_PARAMS,
    )
    .await;

    // A broken file: config_error naming file, line and field; the daemon carries on.
    std::fs::write(
        dir.path().join("infra.yaml"),
        "servers:\n  - name: a\n    health: not-an-endpoint\n",
    )
    .unwrap();
    let data = err_code(&client, "mission_infra_list", json!({}), CONFIG_ERROR).await;
    assert_eq!(data["line"], 3, "{data}");
    assert_eq!(data["field"], "servers[0].health");
    assert!(data["path"].as_str().unwrap().ends_with("infra.yaml"));
    ok(&client, "mission_health", json!({})).await;
    drop(tcp);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_diagnose_reports_the_home_disk_the_daemon_and_a_slot_tree() {
    let dir = tempfile::Builder::new().prefix("osdiag").tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let home = dir.path().join("home");
    let daemon = Daemon::start(&home, Some(&shell_slot_yaml(&work)));
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    wait_status(&client, "sh", Duration::from_secs(30), |s| {
        s["pid"].is_number()
    })
    .await;

    let r = ok(&client, "mission_os_diagnose", json!({})).await;
    assert!(r["cpu"]["cores"].as_u64().unwrap() >= 1, "{r}");
    assert!(r["memory"]["totalBytes"].as_u64().unwrap() > 0);
    let disks = r["disks"].as_array().unwrap();
    assert_eq!(disks[0]["holdsHome"], true, "{r}");
    assert!(disks.iter().skip(1).all(|d| d["holdsHome"] == false));
    let home = std::fs::canonicalize(&home).unwrap();
    assert!(home.starts_with(disks[0]["mountPoint"].as_str().unwrap()));
    assert_eq!(r["daemon"]["pid"], daemon.pid());
    let open = r["daemon"]["openFiles"]
        .as_u64()
        .expect("open files on Linux");
    let limit = r["daemon"]["openFilesLimit"]
        .as_u64()
        .expect("fd limit on Linux");
    assert!(open > 3 && open < limit, "{open} of {limit}");
    let sh = &r["slots"].as_array().unwrap()[0];
    assert_eq!(sh["slotId"], "sh");
    assert_eq!(sh["running"], true, "{sh}");
    assert!(sh["processes"].as_u64().unwrap() >= 1, "{sh}");
    assert!(sh["memoryBytes"].as_u64().unwrap() > 0, "{sh}");
    assert!(r["warnings"].is_array());
    err_code(
        &client,
        "mission_os_diagnose",
        json!({"verbose": true}),
        INVALID_PARAMS,
    )
    .await;
}
