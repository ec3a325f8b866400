use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;

use super::*;

/// A real command that prints `secret-of:<path>` (the path arrives as `$1`, untouched).
fn echo_config() -> SecretsConfig {
    SecretsConfig::new(
        split_command("sh -c 'printf \"secret-of:%s\\n\" \"$1\"' sh {path}").expect("split"),
        Duration::from_secs(20),
    )
    .expect("valid")
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn config_validation() {
    let ok = |line: &str| SecretsConfig::new(split_command(line).expect("split"), DEFAULT_TIMEOUT);
    assert!(ok("pass show {path}").is_ok());
    let cases: [(&str, &str); 4] = [
        ("", "empty"),
        ("pass show", "no {path}"),
        ("{path} show", "not a program"),
        ("pass show --key={path}", "word of its own"),
    ];
    for (line, words) in cases {
        let err = ok(line).expect_err(line);
        assert!(err.contains(words), "{line:?}: {err}");
    }
    let zero = SecretsConfig::new(vec!["a".into(), "{path}".into()], Duration::ZERO);
    assert!(zero.expect_err("zero").contains("timeout"));
}

#[test]
fn a_real_command_resolves_references_inside_values() {
    let resolved = resolve_env(
        "coder",
        &env(&[
            ("TOKEN", "${secret:github/token}"),
            ("AUTH", "Bearer ${secret:github/token} and ${secret:other}"),
            ("PLAIN", "keep $HOME and $${secret:not-this}"),
        ]),
        Some(&echo_config()),
    )
    .expect("resolved");
    let vars: BTreeMap<&str, &str> = resolved.exposed().collect();
    assert_eq!(vars["TOKEN"], "secret-of:github/token");
    assert_eq!(
        vars["AUTH"],
        "Bearer secret-of:github/token and secret-of:other"
    );
    assert_eq!(vars["PLAIN"], "keep $HOME and ${secret:not-this}");
    assert!(matches!(resolved.get("TOKEN"), Some(EnvValue::Secret(_))));
    assert!(matches!(resolved.get("PLAIN"), Some(EnvValue::Plain(_))));
    // One entry per path, fetched once even though github/token is used twice.
    assert_eq!(resolved.secrets().len(), 2);
    let debug = format!("{resolved:?}");
    assert!(!debug.contains("secret-of"), "{debug}");
}

#[test]
fn the_path_never_reaches_a_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("pwned");
    let path = format!(
        "x; touch {} $(touch {})",
        marker.display(),
        marker.display()
    );
    let value = echo_config().fetch(&path).expect("fetched");
    assert_eq!(value.expose(), format!("secret-of:{path}"));
    assert!(!marker.exists(), "the path was run as shell code");
}

#[test]
fn only_the_trailing_line_ends_are_removed() {
    let config = SecretsConfig::new(
        split_command("sh -c 'printf \"line one\\nline two\\r\\n\\n\"' sh {path}").expect("split"),
        DEFAULT_TIMEOUT,
    )
    .expect("valid");
    assert_eq!(
        config.fetch("p").expect("fetched").expose(),
        "line one\nline two"
    );
}

/// Each failure names the slot, the variable and the path, and never a value.
#[test]
fn failures_name_slot_variable_and_path() {
    let sh = |script: &str, secs: u64| {
        SecretsConfig::new(
            vec![
                "sh".into(),
                "-c".into(),
                script.into(),
                "sh".into(),
                "{path}".into(),
            ],
            Duration::from_secs(secs),
        )
        .expect("valid")
    };
    let missing = SecretsConfig::new(
        vec!["/nonexistent/secret-tool".into(), "{path}".into()],
        DEFAULT_TIMEOUT,
    )
    .expect("valid");
    let cases: Vec<(&str, Option<SecretsConfig>, &str)> = vec![
        (
            "${secret:db/pw}",
            Some(sh("echo \"$1 is not in the store\" >&2; exit 3", 20)),
            "db/pw is not in the store",
        ),
        ("${secret:db/pw}", Some(sh("exit 0", 20)), "printed nothing"),
        (
            "${secret:db/pw}",
            Some(sh("sleep 30", 1)),
            "took longer than 1s",
        ),
        (
            "${secret:db/pw}",
            Some(sh("printf '\\377\\376'", 20)),
            "UTF-8",
        ),
        ("${secret:db/pw}", Some(missing), "/nonexistent/secret-tool"),
        ("${secret:db/pw}", None, "no `secrets:"),
        ("${secret:-rf}", Some(sh("echo leaked", 20)), "option"),
        ("${secret:db/pw", Some(sh("echo leaked", 20)), "closing"),
    ];
    for (value, config, words) in cases {
        let err = resolve_env("coder-1", &env(&[("DB_PASSWORD", value)]), config.as_ref())
            .expect_err(value);
        let shown = err.to_string();
        assert!(
            shown.starts_with("slot \"coder-1\", env DB_PASSWORD"),
            "{shown}"
        );
        assert!(shown.contains(words), "{value}: {shown}");
        assert!(!shown.contains("leaked"), "{shown}");
        assert_eq!(err.var, "DB_PASSWORD");
    }
}

#[test]
fn a_timeout_also_stops_the_commands_children() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("late");
    // The child shell waits on a background sleep that would write the marker later.
    let script = format!("(sleep 3; touch {}) & wait", marker.display());
    let config = SecretsConfig::new(
        vec![
            "sh".into(),
            "-c".into(),
            script,
            "sh".into(),
            "{path}".into(),
        ],
        Duration::from_secs(1),
    )
    .expect("valid");
    let err = config.fetch("p").expect_err("times out");
    assert!(matches!(err, ResolveFailure::Timeout(_)), "{err}");
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        !marker.exists(),
        "a child of the command outlived the timeout"
    );
}

fn redactor(secrets: &[&str]) -> Redactor {
    let secrets: Vec<SecretString> = secrets
        .iter()
        .map(|s| SecretString::new(s.to_string()))
        .collect();
    Redactor::new(&secrets).expect("redactor")
}

#[test]
fn redact_str_table() {
    let r = redactor(&["hunter2", "hunter2-long", "q\"x\\y"]);
    let cases: [(&str, &str); 6] = [
        ("no secret here", "no secret here"),
        ("pw=hunter2.", "pw=[REDACTED]."),
        ("hunter2hunter2", "[REDACTED][REDACTED]"),
        (
            "the longer one: hunter2-long!",
            "the longer one: [REDACTED]!",
        ),
        ("raw q\"x\\y", "raw [REDACTED]"),
        (r#"{"v":"q\"x\\y"}"#, r#"{"v":"[REDACTED]"}"#),
    ];
    for (text, want) in cases {
        assert_eq!(r.redact_str(text), want, "{text:?}");
    }
    assert!(matches!(
        r.redact_str("clean"),
        std::borrow::Cow::Borrowed(_)
    ));
    let empty = redactor(&[""]);
    assert!(empty.is_empty());
    assert_eq!(empty.redact_str("anything"), "anything");
}

#[test]
fn a_secret_split_across_chunks_is_scrubbed() {
    let r = redactor(&["sk-ant-0123456789"]);
    let mut stream = r.stream();
    let mut out = stream.push(b"log: sk-ant-01");
    assert!(stream.held_back() < r.max_secret_len());
    out.extend(stream.push(b"23456789 done"));
    out.extend(stream.finish());
    assert_eq!(
        String::from_utf8(out).expect("utf8"),
        "log: [REDACTED] done"
    );
}

#[test]
fn a_partial_secret_at_the_end_is_released_unchanged() {
    let r = redactor(&["abcdef"]);
    let mut stream = r.stream();
    let mut out = stream.push(b"xx abc");
    assert_eq!(out, b"xx ", "the possible start of a secret is held back");
    out.extend(stream.finish());
    assert_eq!(out, b"xx abc");
}

proptest! {
    /// However the bytes are cut into chunks, the stream gives what the one-shot
    /// redaction gives, and no secret survives.
    #[test]
    fn chunking_never_lets_a_secret_through(
        secrets in prop::collection::vec("[a-z0-9]{1,12}", 1..4),
        pieces in prop::collection::vec(("[a-z0-9 \n]{0,8}", 0usize..4), 0..12),
        cuts in prop::collection::vec(0usize..200, 0..12),
    ) {
        let r = redactor(&secrets.iter().map(String::as_str).collect::<Vec<_>>());
        let mut text = String::new();
        for (filler, which) in &pieces {
            text.push_str(filler);
            if let Some(secret) = secrets.get(*which) {
                text.push_str(secret);
            }
        }
        let bytes = text.as_bytes();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut stream = r.stream();
        let mut out = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            out.extend(stream.push(&bytes[start..cut]));
            start = cut;
        }
        out.extend(stream.finish());
        let whole = r.redact_bytes(bytes).into_owned();
        prop_assert_eq!(&out, &whole);
        let out = String::from_utf8(out).expect("utf8");
        for secret in &secrets {
            prop_assert!(!out.contains(secret.as_str()), "{secret:?} in {out:?}");
        }
    }
}

fn shaped(secrets: &[&str]) -> Redactor {
    let secrets: Vec<SecretString> = secrets
        .iter()
        .map(|s| SecretString::new(s.to_string()))
        .collect();
    Redactor::with_shapes(&secrets, shapes::builtin()).expect("redactor")
}

const ANT: &str = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-abcdefghijklmnopqrstuvwx";
const GHP: &str = "ghp_0123456789abcdefghijABCDEFGHIJklmnopqr";
const PAT: &str = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz";
const AKIA: &str = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SLACK: &str = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx";

#[test]
fn key_shapes_are_redacted_and_ordinary_text_is_not() {
    let r = shaped(&[]);
    let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";
    let key = key.replace("\\n", "\n");
    for (text, secret) in [
        (format!("key: {ANT} end"), ANT),
        (format!("token={GHP}."), GHP),
        (format!("export GH={PAT}"), PAT),
        (format!("id {AKIA} ok"), AKIA),
        (format!("{AKIA},{AWS_SECRET}"), AWS_SECRET),
        (format!("aws_secret_access_key = {AWS_SECRET}"), AWS_SECRET),
        (
            format!("\"SecretAccessKey\": \"{AWS_SECRET}\","),
            AWS_SECRET,
        ),
        (format!("slack {SLACK} x"), SLACK),
        (
            format!("before\n{key}\nafter"),
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
        ),
    ] {
        let clean = r.redact_str(&text);
        assert!(!clean.contains(secret), "{text:?} -> {clean:?}");
        assert!(clean.contains(REDACTED), "{clean:?}");
    }
    let kept = shaped(&[])
        .redact_str(&format!("before\n{key}\nafter"))
        .into_owned();
    assert!(
        kept.starts_with("before\n") && kept.ends_with("\nafter"),
        "{kept:?}"
    );
    // Words that only look a little like keys stay.
    for text in [
        "task-list and risk-free disk-usage",
        "sk-short",
        "ghp_tooShort",
        "AKIA is a prefix",
        "xoxb-",
        "-----BEGIN CERTIFICATE-----",
    ] {
        assert_eq!(r.redact_str(text), text);
    }
}

#[test]
fn a_key_body_shows_even_when_its_begin_line_scrolled_away() {
    let r = shaped(&[]);
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDu\nabc=\n-----END PRIVATE KEY-----\n$ ".replace("\\n", "\n");
    let clean = r.redact_str(&body);
    assert!(!clean.contains("VJTUt9Us8c"), "{clean:?}");
    assert!(clean.ends_with("$ "), "{clean:?}");
}

#[test]
fn a_secret_split_by_escape_sequences_is_redacted_with_the_escapes() {
    let secret = "tok-escape-split-4242";
    let r = redactor(&[secret]);
    let split: String = secret.chars().map(|c| format!("{c}\x1b[0m")).collect();
    let raw = format!("say {split}!\r\n");
    let clean = r.redact_bytes(raw.as_bytes()).into_owned();
    let clean = String::from_utf8(clean).expect("utf8");
    assert_eq!(clean, "say [REDACTED]\x1b[0m!\r\n");
    // Shapes too, and colours around a key.
    let r = shaped(&[]);
    let raw = format!("\x1b[1;32m{}\x1b[0m\x1b[2C{}\r\n", &GHP[..10], &GHP[10..]);
    let clean = String::from_utf8(r.redact_bytes(raw.as_bytes()).into_owned()).expect("utf8");
    assert!(!visible_text(&clean).contains(&GHP[4..20]), "{clean:?}");
    assert!(clean.starts_with("\x1b[1;32m[REDACTED]"), "{clean:?}");
}

fn visible_text(s: &str) -> String {
    String::from_utf8(visible::project(s.as_bytes()).text).expect("utf8")
}

#[test]
fn a_stream_catches_escape_split_secrets_and_shapes_across_chunks() {
    let secret = "tok-stream-split-777";
    let r = shaped(&[secret]);
    let split: String = secret.chars().map(|c| format!("{c}\x1b[0m")).collect();
    let text = format!("a {split} b {ANT} c {GHP}\r\n$ ");
    let bytes = text.as_bytes();
    // At most a key's public prefix (`sk`, `ghp`) shows before its marker.
    let shape = regex::Regex::new(
        r"^a \[REDACTED\] b (?:sk?)?\[REDACTED\] c (?:g|gh|ghp)?\[REDACTED\]\r\n\$ $",
    )
    .expect("regex");
    for size in [1usize, 2, 3, 7, 16, 64] {
        let mut stream = r.stream();
        let mut out = Vec::new();
        for chunk in bytes.chunks(size) {
            out.extend(stream.push(chunk));
        }
        let before_finish = out.len();
        out.extend(stream.finish());
        assert_eq!(
            out.len(),
            before_finish,
            "nothing waits once the line is done"
        );
        let shown = visible_text(&String::from_utf8(out).expect("utf8"));
        assert!(shape.is_match(&shown), "chunks of {size}: {shown:?}");
    }
}

#[test]
fn ordinary_output_is_not_held_back() {
    let r = shaped(&["s3cret-value-1"]);
    let mut stream = r.stream();
    assert_eq!(
        stream.push(b"\x1b[1mhello world\x1b[0m"),
        b"\x1b[1mhello world\x1b[0m"
    );
    assert_eq!(stream.push(b"task-list done"), b"task-list done");
    // Typing: a key's first letters, or a word that merely contains them, go out at once.
    let mut typing = shaped(&[]).stream();
    for key in "ls git task-list sk".bytes() {
        assert_eq!(typing.push(&[key]), [key], "typed {:?}", key as char);
    }
    // A key typed (or printed) a letter at a time: its public prefix shows, the rest is
    // redacted.
    let mut out = Vec::new();
    for key in format!(" {GHP} ok").bytes() {
        out.extend(typing.push(&[key]));
    }
    out.extend(typing.finish());
    let out = String::from_utf8(out).expect("utf8");
    assert!(!out.contains(&GHP[4..]), "{out:?}");
    assert!(out.ends_with("[REDACTED] ok"), "{out:?}");
    // The start of a known secret, or of a key, waits for the next chunk.
    assert_eq!(stream.push(b"x s3cr"), b"x ");
    assert_eq!(stream.push(b"ap ghp_abc"), b"s3crap ");
    assert_eq!(stream.push(b" no"), b"ghp_abc no");
}

#[test]
fn rendered_rows_are_joined_where_they_wrap() {
    let secret = "wrapped-secret-0123456789abcdef";
    let r = shaped(&[secret]);
    // A 20-column screen: the secret wraps onto the next row; then Claude Code's
    // two-space indent and a box border.
    let lines = vec![
        format!("x = {}", &secret[..16]),
        secret[16..].to_string(),
        format!("│ k {}", &secret[..14]),
        format!("│   {} │", &secret[14..]),
        "plain row".to_string(),
    ];
    let clean = rendered::redact_lines(&r, &lines, 20);
    assert_eq!(
        clean,
        vec![
            "x = [REDACTED]",
            "",
            "│ k [REDACTED]",
            "│    │",
            "plain row"
        ]
    );
    // A long key in an 80-column box.
    let lines = vec![format!("│ {}", &ANT[..76]), format!("│ {} │", &ANT[76..])];
    let clean = rendered::redact_lines(&r, &lines, 80).join("\n");
    assert!(
        !clean.contains(&ANT[76..]) && !clean.contains(&ANT[..20]),
        "{clean}"
    );
    // Rows that end early are not joined: no over-reach into the next row.
    let lines = vec![
        "short".to_string(),
        "wrapped-secret-0123456789abcdef".to_string(),
    ];
    assert_eq!(
        rendered::redact_lines(&r, &lines, 80),
        vec!["short", "[REDACTED]"]
    );
    let block = format!("{}\n{}", &secret[..20], &secret[20..]);
    assert_eq!(rendered::redact_block(&r, &block), "[REDACTED]\n");
}

#[test]
fn redact_config_turns_shapes_off_and_adds_patterns() {
    let off = RedactConfig {
        shapes: false,
        ..RedactConfig::default()
    };
    assert!(off.shapes().expect("valid").is_empty());
    let some = RedactConfig {
        disable: vec!["openai".into()],
        patterns: vec![PatternConfig {
            name: "internal".into(),
            regex: "itk_[A-Za-z0-9]{8}".into(),
            prefix: Some("itk_".into()),
        }],
        ..RedactConfig::default()
    };
    let shapes = some.shapes().expect("valid");
    assert!(shapes.iter().all(|s| s.name() != "openai"));
    let r = Redactor::with_shapes(&[], shapes).expect("redactor");
    assert_eq!(r.redact_str("a itk_abcd1234 b"), "a [REDACTED] b");
    let bad = RedactConfig {
        disable: vec!["nope".into()],
        ..RedactConfig::default()
    };
    assert!(
        bad.shapes()
            .expect_err("unknown")
            .message
            .contains("anthropic")
    );
    let empty = RedactConfig {
        patterns: vec![PatternConfig {
            name: "e".into(),
            regex: "x*".into(),
            prefix: None,
        }],
        ..RedactConfig::default()
    };
    assert!(
        empty
            .shapes()
            .expect_err("empty match")
            .message
            .contains("empty")
    );
}

proptest! {
    /// A secret interleaved with escape sequences, cut into chunks anywhere, never shows
    /// in what a terminal would display of the stream's output.
    #[test]
    fn escapes_and_chunking_never_let_a_secret_through(
        secret in "[a-z0-9]{6,16}",
        filler in "[a-z ]{0,6}",
        escapes in prop::collection::vec(0usize..6, 16),
        cuts in prop::collection::vec(0usize..400, 0..10),
    ) {
        const SEQ: [&str; 6] = ["", "\x1b[0m", "\x1b[1;31m", "\x1b[2C", "\x1b]0;t\x07", "\x07"];
        let r = shaped(&[&secret]);
        let mut text = filler.clone();
        for (i, c) in secret.chars().enumerate() {
            text.push(c);
            text.push_str(SEQ[escapes[i % escapes.len()]]);
        }
        text.push_str(&filler);
        let bytes = text.as_bytes();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
        cuts.sort_unstable();
        let mut stream = r.stream();
        let mut out = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            out.extend(stream.push(&bytes[start..cut]));
            start = cut;
        }
        out.extend(stream.finish());
        let shown = String::from_utf8(visible::project(&out).text).expect("utf8");
        prop_assert!(!shown.contains(secret.as_str()), "{:?} in {:?}", secret, shown);
        prop_assert!(shown.contains(REDACTED), "{:?}", shown);
        let whole = String::from_utf8(visible::project(&r.redact_bytes(bytes)).text).expect("utf8");
        prop_assert!(!whole.contains(secret.as_str()), "{:?}", whole);
    }
}
