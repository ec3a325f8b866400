//! `mission_pty_screenshot` over the daemon's real socket: a `bash` slot prints coloured
//! text and the PNG shows red pixels; the REAL Claude Code's idle screen pictures as a
//! non-blank image (skipped when Claude Code is not installed, unless
//! MISSIOND_E2E_REQUIRED=1). Bad arguments get named errors and the daemon stays up.

mod daemon_support;
mod lifecycle_support;

use std::time::Duration;

use base64::Engine as _;
use daemon_support::{Daemon, err_code, ok, wait_screen};
use lifecycle_support::one_slot_world;
use serde_json::{Value, json};

const UNKNOWN_SLOT: i32 = -32001;
const SLOT_NOT_RUNNING: i32 = -32002;
const INVALID_PARAMS: i32 = -32602;
const TIMEOUT: i32 = -32005;

/// The palette's red (ANSI 1) that `\e[31m` text is drawn in.
const RED: [u8; 3] = [0xcc, 0x66, 0x66];

struct Png {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Png {
    fn pixels(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.rgb.chunks(3).map(|p| [p[0], p[1], p[2]])
    }
}

/// Checks the result's fields and decodes its PNG.
fn decode(result: &Value) -> Png {
    assert_eq!(result["mimeType"], "image/png", "{result}");
    let data = result["data"].as_str().expect("base64 data");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("valid base64");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(result["width"], info.width, "{result}");
    assert_eq!(result["height"], info.height, "{result}");
    Png {
        width: info.width,
        height: info.height,
        rgb: buf,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bash_slots_coloured_text_shows_red_in_the_png() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(
        &tmp.path().join("home"),
        Some(&daemon_support::shell_slot_yaml(tmp.path())),
    );
    let client = daemon.client().await;
    err_code(
        &client,
        "mission_pty_screenshot",
        json!({"slotId": "sh"}),
        SLOT_NOT_RUNNING,
    )
    .await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    wait_screen(&client, "sh", "sh$", Duration::from_secs(10)).await;

    // Before: no red anywhere.
    let before = ok(&client, "mission_pty_screenshot", json!({"slotId": "sh"})).await;
    let png = decode(&before);
    assert_eq!(
        (before["cols"].as_u64(), before["rows"].as_u64()),
        (Some(100), Some(30))
    );
    assert_eq!(png.width % 100, 0, "width is a whole number of cells");
    assert_eq!(png.height % 30, 0, "height is a whole number of cells");
    assert!(
        png.width >= 100 * 6 && png.height >= 30 * 10,
        "{}x{}",
        png.width,
        png.height
    );
    assert_eq!(png.pixels().filter(|p| *p == RED).count(), 0);

    err_code(
        &client,
        "mission_pty_send",
        json!({"slotId": "sh", "message": "printf '\\e[31mRED-WORDS\\e[0m\\n'", "timeoutMs": 300}),
        TIMEOUT,
    )
    .await;
    wait_screen(&client, "sh", "\nRED-WORDS", Duration::from_secs(10)).await;
    let after = ok(&client, "mission_pty_screenshot", json!({"slotId": "sh"})).await;
    assert_eq!(after["slotId"], "sh");
    assert!(after["state"].is_string(), "{after}");
    let png = decode(&after);
    let red = png.pixels().filter(|p| *p == RED).count();
    assert!(red > 20, "only {red} red pixels");

    // Scale 2 doubles both sides (cells are whole pixels at both scales).
    let big = ok(
        &client,
        "mission_pty_screenshot",
        json!({"slotId": "sh", "scale": 2}),
    )
    .await;
    let big = decode(&big);
    assert!(big.width > png.width && big.height > png.height);

    // Bad input: named errors, and the daemon keeps answering.
    for (params, code, word) in [
        (json!({"slotId": "nope"}), UNKNOWN_SLOT, "nope"),
        (
            json!({"slotId": "sh", "scale": 0.1}),
            INVALID_PARAMS,
            "scale",
        ),
        (
            json!({"slotId": "sh", "scale": 99}),
            INVALID_PARAMS,
            "scale",
        ),
        (
            json!({"slotId": "sh", "scale": "big"}),
            INVALID_PARAMS,
            "scale",
        ),
        (
            json!({"slotId": "sh", "colour": true}),
            INVALID_PARAMS,
            "colour",
        ),
        (json!({}), INVALID_PARAMS, "slotId"),
    ] {
        let err = err_code(&client, "mission_pty_screenshot", params.clone(), code).await;
        assert!(
            err.to_string().contains(word),
            "{params}: error should name {word}: {err}"
        );
    }
    ok(&client, "mission_health", json!({})).await;
}

const SCENARIO: &str = r#"
rules:
  - name: hello
    match: { contains: "hello" }
    steps:
      - text: "Hello back."
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_claude_codes_idle_screen_pictures_as_a_non_blank_png() {
    let Some(w) = one_slot_world(
        "the_real_claude_codes_idle_screen_pictures",
        SCENARIO,
        "    cols: 120\n    rows: 40\n",
    ) else {
        return;
    };
    let client = w.daemon.client().await;
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;
    assert_eq!(spawned["state"], "Idle", "{spawned}");
    let shot = ok(&client, "mission_pty_screenshot", json!({"slotId": "c1"})).await;
    assert_eq!(shot["state"], "Idle", "{shot}");
    assert_eq!(
        (shot["cols"].as_u64(), shot["rows"].as_u64()),
        (Some(120), Some(40))
    );
    let png = decode(&shot);
    // Not blank: many pixels differ from the background colour, in several colours
    // (Claude Code's banner, input box and footer).
    let bg = png.pixels().next().expect("pixels");
    let inked = png.pixels().filter(|p| *p != bg).count();
    assert!(inked > 2000, "only {inked} non-background pixels");
    let colours: std::collections::HashSet<[u8; 3]> = png.pixels().collect();
    assert!(colours.len() > 10, "{} colours", colours.len());
}
