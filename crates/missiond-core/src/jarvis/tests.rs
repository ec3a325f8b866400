use super::*;
use crate::catalogue::LogLevel;

fn rec(
    time_ms: i64,
    level: u8,
    msg: &str,
    req: Option<&str>,
    cause: Option<&str>,
    slot: Option<&str>,
) -> Record {
    Record {
        time_ms,
        level,
        target: "missiond::test".into(),
        message: msg.into(),
        request_id: req.map(str::to_string),
        cause_id: cause.map(str::to_string),
        slot_id: slot.map(str::to_string),
        fields: serde_json::json!({"method": "mission_x"})
            .as_object()
            .unwrap()
            .clone(),
    }
}

#[test]
fn stores_queries_and_traces() {
    let dir = tempfile::tempdir().unwrap();
    let s = JarvisStore::open(&dir.path().join("j.db")).unwrap();
    s.insert(&[
        rec(1_000, 2, "request started", Some("r1"), None, None),
        rec(
            2_000,
            3,
            "slot Coder is slow",
            Some("r1"),
            None,
            Some("coder"),
        ),
        rec(
            3_000,
            2,
            "hook event",
            Some("h1"),
            Some("r1"),
            Some("coder"),
        ),
        rec(4_000, 4, "other failure", Some("r2"), None, Some("other")),
    ])
    .unwrap();
    let q = |q: LogQuery| s.query(&LogQuery { limit: 100, ..q }).unwrap();
    let msgs = |r: crate::catalogue::JarvisLogsResult| {
        r.entries.into_iter().map(|e| e.message).collect::<Vec<_>>()
    };
    assert_eq!(
        msgs(q(LogQuery::default())),
        [
            "other failure",
            "hook event",
            "slot Coder is slow",
            "request started"
        ]
    );
    assert_eq!(
        msgs(q(LogQuery {
            min_level: Some(LogLevel::Warn),
            ..Default::default()
        })),
        ["other failure", "slot Coder is slow"]
    );
    assert_eq!(
        msgs(q(LogQuery {
            since_ms: Some(3_000),
            ..Default::default()
        })),
        ["other failure", "hook event"]
    );
    assert_eq!(
        msgs(q(LogQuery {
            slot_id: Some("coder".into()),
            ..Default::default()
        })),
        ["hook event", "slot Coder is slow"]
    );
    assert_eq!(
        msgs(q(LogQuery {
            text: Some("CODER".into()),
            ..Default::default()
        })),
        ["slot Coder is slow"]
    );
    assert_eq!(
        q(LogQuery {
            text: Some("mission_x".into()),
            ..Default::default()
        })
        .entries
        .len(),
        4
    );
    let r = s
        .query(&LogQuery {
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    assert!(r.truncated && r.entries.len() == 2);

    let t = s.trace("r1", 1000).unwrap();
    assert_eq!(
        msgs(t),
        ["request started", "slot Coder is slow", "hook event"]
    );
    assert!(s.trace("nope", 10).unwrap().entries.is_empty());
}

#[test]
fn rotation_by_age_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let s = JarvisStore::open(&dir.path().join("j.db")).unwrap();
    let big = "x".repeat(3000);
    let batch: Vec<Record> = (0..2000)
        .map(|i| rec(10_000 + i, 2, &big, None, None, None))
        .collect();
    s.insert(&batch).unwrap();
    s.insert(&[rec(1, 2, "ancient", None, None, None)]).unwrap();
    let limits = StoreLimits {
        max_bytes: 1024 * 1024,
        max_age_ms: 100_000,
    };
    let removed = s.rotate(limits, 105_000).unwrap();
    let left = s.count().unwrap();
    assert!(
        removed > 1000,
        "the ancient entry and at least half the rest: {removed}"
    );
    assert_eq!(left + removed, 2001);
    let r = s
        .query(&LogQuery {
            text: Some("ancient".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert!(r.entries.is_empty());
    // The newest entries are the ones kept.
    let newest = s
        .query(&LogQuery {
            limit: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        newest.entries[0].time,
        crate::time::rfc3339_ms(10_000 + 1999)
    );
}

#[test]
fn request_ids_travel_in_meta_and_since_parses() {
    let id = request_id::mint("mcp");
    assert!(id.starts_with("mcp-"));
    assert_ne!(id, request_id::mint("mcp"));
    let mut p = serde_json::json!({"slotId": "a"});
    request_id::attach(&mut p, &id);
    assert_eq!(p["_meta"]["requestId"], id.as_str());
    assert_eq!(request_id::take(&mut p), Some(id));
    assert_eq!(p, serde_json::json!({"slotId": "a"}));
    let mut bad = serde_json::json!({"_meta": {"requestId": "has space"}});
    assert_eq!(request_id::take(&mut bad), None);
    assert_eq!(bad, serde_json::json!({}));

    assert_eq!(since::parse("15m", 1_000_000).unwrap(), 100_000);
    assert_eq!(
        since::parse("2h", 10_000_000).unwrap(),
        10_000_000 - 7_200_000
    );
    assert_eq!(since::parse("1970-01-01T00:00:01Z", 0).unwrap(), 1000);
    assert!(
        since::parse("yesterday", 0)
            .unwrap_err()
            .contains("RFC 3339")
    );
    assert!(since::parse("5y", 0).unwrap_err().contains("unit"));
}
