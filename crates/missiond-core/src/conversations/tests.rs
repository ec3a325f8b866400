//! Tests of the transcript parser, the query helpers and the conversation tables, on
//! lines in the shape Claude Code 2.1.331 writes (taken from a real transcript, with
//! bulky fields left out).

use serde_json::json;

use super::*;
use crate::store::Store;
use crate::time::rfc3339_ms;

const SESSION: &str = "11111111-2222-3333-4444-555555555555";

/// A real session: a prompt, one API response split over three lines (thinking, text,
/// tool_use, each repeating the response's usage), the tool's result, a second response,
/// then a manual /compact.
const LINES: [&str; 11] = [
    r#"{"parentUuid":null,"type":"user","message":{"role":"user","content":"please probe this"},"uuid":"bb30602c-c193-41c5-85cb-dfc8099c0f15","timestamp":"2026-11-25T10:18:42.570Z","sessionId":"11111111-2222-3333-4444-555555555555"}"#,
    r#"{"parentUuid":"275e81cf-6b1f-40cb-b007-8ec1596692f1","message":{"content":[{"signature":"mock-signature-490d0710f0da4028972356b1504128e7","thinking":"I should run echo to check things.","type":"thinking"}],"id":"msg_01b144ec9e82dc4933a26a40d4ef31ac1f","model":"claude-opus-5-5","role":"assistant","stop_reason":"tool_use","stop_sequence":null,"type":"message","usage":{"input_tokens":100,"cache_creation_input_tokens":3,"cache_read_input_tokens":7,"output_tokens":20,"service_tier":"standard"},"stop_details":null},"apiBlockIndex":0,"requestId":"req_mock_2a539bbb49f14ce096e14b0094e118d6","type":"assistant","uuid":"47074bdc-08e0-4d6d-9184-9f40764de925","timestamp":"2026-11-25T10:18:42.626Z","sessionId":"11111111-2222-3333-4444-555555555555"}"#,
    r#"{"parentUuid":"47074bdc-08e0-4d6d-9184-9f40764de925","message":{"content":[{"text":"Let me run it.","type":"text"}],"id":"msg_01b144ec9e82dc4933a26a40d4ef31ac1f","model":"claude-opus-5-5","role":"assistant","stop_reason":"tool_use","stop_sequence":null,"type":"message","usage":{"input_tokens":100,"cache_creation_input_tokens":3,"cache_read_input_tokens":7,"output_tokens":20,"service_tier":"standard"},"stop_details":null},"apiBlockIndex":1,"type":"assistant","uuid":"97ce5699-9c1a-4633-934f-874069facd67","timestamp":"2026-11-25T10:18:42.627Z","sessionId":"11111111-2222-3333-4444-555555555555"}"#,
    r#"{"parentUuid":"97ce5699-9c1a-4633-934f-874069facd67","message":{"content":[{"id":"toolu_016603b1354abb47f693ea1a5de64cba97","input":{"command":"echo hi-from-tool","description":"Say hi"},"name":"Bash","type":"tool_use"}],"id":"msg_01b144ec9e82dc4933a26a40d4ef31ac1f","model":"claude-opus-5-5","role":"assistant","stop_reason":"tool_use","stop_sequence":null,"type":"message","usage":{"input_tokens":100,"cache_creation_input_tokens":3,"cache_read_input_tokens":7,"output_tokens":20,"service_tier":"standard"},"stop_details":null},"apiBlockIndex":2,"type":"assistant","uuid":"a6e95d37-1af5-498c-98ab-a38e203607f8","timestamp":"2026-11-25T10:18:42.629Z","sessionId":"11111111-2222-3333-4444-555555555555"}"#,
    r#"{"parentUuid":"a6e95d37-1af5-498c-98ab-a38e203607f8","type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_016603b1354abb47f693ea1a5de64cba97","type":"tool_result","content":"hi-from-tool","is_error":false}]},"uuid":"d93a8633-dd66-4d59-b5c7-9f467f7b5789","timestamp":"2026-11-25T10:18:42.676Z","toolUseResult":{"stdout":"hi-from-tool","stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false},"sessionId":"11111111-2222-3333-4444-555555555555"}"#,
    r#"{"parentUuid":"cd0b51ed-1352-47dc-b988-cd00829a3797","message":{"content":[{"text":"The tool said hi-from-tool. Done.","type":"text"}],"id":"msg_01597083183ecd4695aac00dadb365e958","model":"claude-opus-5-5","role":"assistant","stop_reason":"end_turn","stop_sequence":null,"type":"message","usage":{"input_tokens":200,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":30,"service_tier":"standard"},"stop_details":null},"apiBlockIndex":0,"type":"assistant","uuid":"fda0b777-3d58-48a3-bb19-80fa2e200ed5","timestamp":"2026-11-25T10:18:42.696Z","sessionId":"11111111-2222-3333-4444-555555555555"}"#,
    r#"{"parentUuid":null,"logicalParentUuid":"fda0b777-3d58-48a3-bb19-80fa2e200ed5","type":"system","subtype":"compact_boundary","content":"Conversation compacted","isMeta":false,"timestamp":"2026-11-25T10:18:52.524Z","uuid":"556d2911-bf76-47ef-8027-33ee7c9bb87a","level":"info","sessionId":"11111111-2222-3333-4444-555555555555"}"#,
    r#"{"parentUuid":"556d2911-bf76-47ef-8027-33ee7c9bb87a","type":"user","message":{"role":"user","content":"This session is being continued from a previous conversation that ran out of context. The summary below covers the earli..."},"isVisibleInTranscriptOnly":true,"isCompactSummary":true,"uuid":"1ebb90e2-3799-4a01-ad07-235d1c03376b","timestamp":"2026-11-25T10:18:52.523Z","sessionId":"11111111-2222-3333-4444-555555555555"}"#,
    r#"{"parentUuid":"1ebb90e2-3799-4a01-ad07-235d1c03376b","type":"user","message":{"role":"user","content":"<local-command-caveat>The command below was run directly in Claude Code, not sent to you as a request, and its output go..."},"isMeta":true,"uuid":"27f38380-6f8e-434b-be3e-a77b812016c6","timestamp":"2026-11-25T10:18:52.475Z","sessionId":"11111111-2222-3333-4444-555555555555"}"#,
    r#"{"type":"attachment","parentUuid":"x","attachment":{"type":"date","date":"2026-11-25"},"uuid":"ad06a94f-3d40-40bc-bbf1-6b22ef0989ee"}"#,
    r#"{"type":"queue-operation","operation":"enqueue","timestamp":"2026-11-25T10:18:42.529Z","sessionId":"11111111-2222-3333-4444-555555555555","content":"please probe this"}"#,
];

fn one(line: &str) -> ParsedMessage {
    let mut found = parse_line(line).expect("a message line");
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

#[test]
fn a_prompt_is_one_user_text_with_its_ids_and_time() {
    let m = one(LINES[0]);
    assert_eq!((m.role, m.kind), (Role::User, MessageKind::Text));
    assert_eq!(m.text, "please probe this");
    assert_eq!(
        m.uuid.as_deref(),
        Some("bb30602c-c193-41c5-85cb-dfc8099c0f15")
    );
    assert_eq!(m.parent_uuid, None);
    assert!(!m.meta);
    assert_eq!(
        m.timestamp_ms.map(rfc3339_ms).as_deref(),
        Some("2026-11-25T10:18:42.570Z")
    );
    assert_eq!(m.usage, None);
}

#[test]
fn assistant_blocks_carry_model_response_id_and_usage() {
    let thinking = one(LINES[1]);
    assert_eq!(
        (thinking.role, thinking.kind),
        (Role::Assistant, MessageKind::Thinking)
    );
    assert_eq!(thinking.text, "I should run echo to check things.");
    assert_eq!(thinking.model.as_deref(), Some("claude-opus-5-5"));
    assert_eq!(
        thinking.api_message_id.as_deref(),
        Some("msg_01b144ec9e82dc4933a26a40d4ef31ac1f")
    );
    assert_eq!(
        thinking.usage,
        Some(Usage {
            input_tokens: 100,
            output_tokens: 20,
            cache_read_tokens: 7,
            cache_creation_tokens: 3
        })
    );
    assert_eq!(one(LINES[2]).kind, MessageKind::Text);

    let call = one(LINES[3]);
    assert_eq!(call.kind, MessageKind::ToolUse);
    assert_eq!(call.tool_name.as_deref(), Some("Bash"));
    assert_eq!(
        call.tool_use_id.as_deref(),
        Some("toolu_016603b1354abb47f693ea1a5de64cba97")
    );
    assert_eq!(
        call.payload.as_ref().unwrap()["input"]["command"],
        "echo hi-from-tool"
    );
    assert!(
        call.text.starts_with("Bash ") && call.text.contains("echo hi-from-tool"),
        "{}",
        call.text
    );
}

#[test]
fn a_tool_result_keeps_its_output_error_flag_and_call_id() {
    let r = one(LINES[4]);
    assert_eq!((r.role, r.kind), (Role::User, MessageKind::ToolResult));
    assert_eq!(r.text, "hi-from-tool");
    assert_eq!(r.is_error, Some(false));
    assert_eq!(
        r.tool_use_id.as_deref(),
        Some("toolu_016603b1354abb47f693ea1a5de64cba97")
    );

    // Content as blocks, a failure, and a block that is not text.
    let line = json!({"type": "user", "uuid": "u1", "message": {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t9", "is_error": true, "content": [
            {"type": "text", "text": "first"}, {"type": "image", "source": {}}, {"type": "text", "text": "second"}]}]}});
    let r = one(&line.to_string());
    assert_eq!(r.text, "first\n[image]\nsecond");
    assert_eq!(r.is_error, Some(true));
}

#[test]
fn compaction_gives_a_system_note_and_a_summary() {
    let boundary = one(LINES[6]);
    assert_eq!(
        (boundary.role, boundary.kind),
        (Role::System, MessageKind::System)
    );
    assert_eq!(boundary.text, "Conversation compacted");
    let payload = boundary.payload.as_ref().unwrap();
    assert_eq!(payload["subtype"], "compact_boundary");
    assert_eq!(payload["level"], "info");
    assert_eq!(
        payload["logicalParentUuid"],
        "fda0b777-3d58-48a3-bb19-80fa2e200ed5"
    );
    assert!(
        payload.get("sessionId").is_none() && payload.get("uuid").is_none(),
        "{payload}"
    );
    let summary = one(LINES[7]);
    assert_eq!(
        (summary.role, summary.kind),
        (Role::System, MessageKind::Summary)
    );
    assert!(summary.text.starts_with("This session is being continued"));
    // Older versions write a `summary` line.
    let old = one(r#"{"type":"summary","summary":"Fixing the flaky test","leafUuid":"abc"}"#);
    assert_eq!(
        (old.kind, old.text.as_str(), old.uuid),
        (MessageKind::Summary, "Fixing the flaky test", None)
    );
    assert!(one(LINES[8]).meta);
}

#[test]
fn several_blocks_in_one_line_are_numbered_in_order() {
    let line = json!({"type": "assistant", "uuid": "u2", "message": {"id": "msg_x", "model": "m",
        "content": [{"type": "thinking", "thinking": "t"}, {"type": "mystery"},
                    {"type": "text", "text": "a"}, {"type": "tool_use", "id": "t1", "name": "Read", "input": {}}]}});
    let found = parse_line(&line.to_string()).unwrap();
    let got: Vec<(u32, MessageKind)> = found.iter().map(|m| (m.block_index, m.kind)).collect();
    assert_eq!(
        got,
        vec![
            (0, MessageKind::Thinking),
            (2, MessageKind::Text),
            (3, MessageKind::ToolUse)
        ]
    );
}

#[test]
fn other_lines_and_garbage_are_skipped_with_a_reason() {
    assert_eq!(
        parse_line(LINES[9]),
        Err(Skip::NotMessage("attachment".into()))
    );
    assert_eq!(
        parse_line(LINES[10]),
        Err(Skip::NotMessage("queue-operation".into()))
    );
    assert!(matches!(
        parse_line("{\"type\":\"user\",\"mess"),
        Err(Skip::NotJson(_))
    ));
    assert!(matches!(parse_line("[1, 2]"), Err(Skip::NotJson(_))));
    assert_eq!(parse_line("{}"), Err(Skip::NotMessage("?".into())));
    // A user line without content holds nothing, and is not an error.
    assert_eq!(parse_line(r#"{"type":"user","uuid":"x"}"#), Ok(vec![]));
}

#[test]
fn search_text_becomes_quoted_terms() {
    assert_eq!(
        fts_query("hi-from-tool").as_deref(),
        Some("\"hi-from-tool\"")
    );
    assert_eq!(
        fts_query(" say \"hi\"  NEAR( deploy* ").as_deref(),
        Some("\"say\" \"\"\"hi\"\"\" \"NEAR(\" \"deploy\"*")
    );
    assert_eq!(fts_query("   "), None);
    assert_eq!(fts_query("*** \" ( -"), None);
    let long = "w ".repeat(100);
    assert_eq!(
        fts_query(&long).unwrap().matches("\"w\"").count(),
        query::MAX_QUERY_WORDS
    );
}

#[test]
fn instants_parse_in_every_accepted_form() {
    let at = |s: &str| parse_instant(s).map(rfc3339_ms);
    assert_eq!(
        at("2026-11-25").as_deref(),
        Some("2026-11-25T00:00:00.000Z")
    );
    assert_eq!(
        at("2026-11-25T10:18:42Z").as_deref(),
        Some("2026-11-25T10:18:42.000Z")
    );
    assert_eq!(
        at("2026-11-25T10:18:42.5Z").as_deref(),
        Some("2026-11-25T10:18:42.500Z")
    );
    assert_eq!(
        at("2026-11-25T10:18:42.123456Z").as_deref(),
        Some("2026-11-25T10:18:42.123Z")
    );
    assert_eq!(
        at("2026-11-25T11:18:42+01:00").as_deref(),
        Some("2026-11-25T10:18:42.000Z")
    );
    assert_eq!(
        at("2024-02-29T23:30:00-01:00").as_deref(),
        Some("2024-03-01T00:30:00.000Z")
    );
    assert_eq!(
        at("1970-01-01T00:00:00Z"),
        Some("1970-01-01T00:00:00.000Z".into())
    );
    for bad in [
        "",
        "yesterday",
        "2026-02-30",
        "2025-02-29",
        "2026-13-01",
        "2026-11-25T25:00:00Z",
        "2026-11-25T10:18:42",
        "2026-11-25T10:18:42.Z",
        "2026-11-25T10:18:42+0100",
        "२०२६-११-२५",
    ] {
        assert_eq!(parse_instant(bad), None, "{bad}");
    }
}

#[test]
fn text_is_capped_at_a_character_boundary() {
    let text = "é".repeat(10); // 20 bytes
    assert_eq!(cap_text(&text, 20), (text.as_str(), false));
    let (cut, truncated) = cap_text(&text, 5);
    assert!(truncated);
    assert_eq!(cut, "éé");
}

// ---- the store --------------------------------------------------------------------

fn file(path: &str, offset: u64) -> TranscriptFile {
    TranscriptFile {
        path: path.to_string(),
        session_id: SESSION.to_string(),
        slot_id: "coder-1".to_string(),
        offset,
        config_dir: None,
        project: None,
    }
}

/// Every message of `lines`, keyed as the daemon keys them.
fn batch(lines: &[&str]) -> Vec<NewMessage> {
    let mut offset = 0;
    let mut out = Vec::new();
    for line in lines {
        for m in parse_line(line).unwrap_or_default() {
            out.push(NewMessage {
                line_key: m.uuid.clone().unwrap_or_else(|| format!("@{offset}")),
                created_at: m.timestamp_ms.unwrap_or(0),
                message: m,
            });
        }
        offset += line.len() + 1;
    }
    out
}

fn all_messages(store: &Store, include_thinking: bool) -> Vec<Message> {
    store
        .conversation_messages(&MessageQuery {
            session_id: SESSION.into(),
            since_id: 0,
            limit: 1000,
            include_thinking,
            include_payloads: true,
            max_bytes: usize::MAX,
        })
        .unwrap()
        .0
}

#[test]
fn ingesting_twice_stores_once_and_remembers_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("m.db");
    let messages = batch(&LINES);
    {
        let store = Store::open(&db).unwrap();
        assert_eq!(
            store
                .ingest_transcript(&file("/t.jsonl", 100), &messages[..4])
                .unwrap(),
            4
        );
        // The same lines again, then the rest: only the rest is new.
        assert_eq!(
            store
                .ingest_transcript(&file("/t.jsonl", 200), &messages)
                .unwrap(),
            messages.len() - 4
        );
    }
    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.transcript_file("/t.jsonl").unwrap(),
        Some(file("/t.jsonl", 200))
    );
    assert_eq!(
        store
            .ingest_transcript(&file("/t.jsonl", 200), &messages)
            .unwrap(),
        0
    );
    let got: Vec<(Role, MessageKind)> = all_messages(&store, true)
        .iter()
        .map(|m| (m.role, m.kind))
        .collect();
    assert_eq!(
        got,
        vec![
            (Role::User, MessageKind::Text),
            (Role::Assistant, MessageKind::Thinking),
            (Role::Assistant, MessageKind::Text),
            (Role::Assistant, MessageKind::ToolUse),
            (Role::User, MessageKind::ToolResult),
            (Role::Assistant, MessageKind::Text),
            (Role::System, MessageKind::System),
            (Role::System, MessageKind::Summary),
            (Role::User, MessageKind::Text),
        ]
    );
    // The result is named after the call it answers.
    let result = &all_messages(&store, true)[4];
    assert_eq!(result.tool_name.as_deref(), Some("Bash"));
    assert_eq!(result.payload, Some(json!({"content": "hi-from-tool"})));
    assert!(
        all_messages(&store, false)
            .iter()
            .all(|m| m.kind != MessageKind::Thinking)
    );
}

#[test]
fn tokens_count_each_api_response_once() {
    let store = Store::open_in_memory().unwrap();
    store
        .ingest_transcript(&file("/t.jsonl", 1), &batch(&LINES))
        .unwrap();
    let stats = store.token_stats(&TokenQuery::default()).unwrap();
    // Two responses: (100 in, 20 out, 7 cache read, 3 cache written) over three lines,
    // then (200, 30, 0, 0).
    let expected = Usage {
        input_tokens: 300,
        output_tokens: 50,
        cache_read_tokens: 7,
        cache_creation_tokens: 3,
    };
    assert_eq!((stats.total.responses, stats.total.usage), (2, expected));
    assert_eq!(stats.by_slot.len(), 1);
    assert_eq!(
        (stats.by_slot[0].key.as_str(), stats.by_slot[0].usage),
        ("coder-1", expected)
    );
    assert_eq!(stats.by_model[0].key, "claude-opus-5-5");
    assert_eq!(stats.by_day.len(), 1);
    assert_eq!(stats.by_day[0].key, "2026-11-25");
    let before = TokenQuery {
        until_ms: parse_instant("2026-11-25T10:18:42.650Z"),
        ..TokenQuery::default()
    };
    let early = store.token_stats(&before).unwrap();
    assert_eq!(
        (early.total.responses, early.total.usage.input_tokens),
        (1, 100)
    );
    let other = TokenQuery {
        slot_id: Some("nobody".into()),
        ..TokenQuery::default()
    };
    assert_eq!(store.token_stats(&other).unwrap().total.responses, 0);

    let (list, total) = store
        .conversations(&ConversationQuery {
            slot_id: None,
            limit: 10,
            offset: 0,
            ..ConversationQuery::default()
        })
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(list[0].tokens, expected);
    assert_eq!(list[0].message_count, 9);
    assert_eq!(list[0].first_prompt.as_deref(), Some("please probe this"));
    assert_eq!(
        store.conversation_slot(SESSION).unwrap().as_deref(),
        Some("coder-1")
    );
    assert_eq!(store.conversation_slot("nope").unwrap(), None);
}

#[test]
fn search_finds_tool_output_and_survives_any_text() {
    let store = Store::open_in_memory().unwrap();
    store
        .ingest_transcript(&file("/t.jsonl", 1), &batch(&LINES))
        .unwrap();
    let search = |text: &str, kind: Option<MessageKind>| {
        store.search_conversations(&SearchQuery {
            fts: fts_query(text).unwrap(),
            slot_id: None,
            session_id: None,
            kind,
            limit: 10,
            offset: 0,
            ..SearchQuery::default()
        })
    };
    let hits = search("hi-from-tool", Some(MessageKind::ToolResult)).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].tool_name.as_deref(), Some("Bash"));
    assert_eq!(hits[0].snippet, "**hi-from-tool**");
    // Without the kind filter: the call, its result and the answer mention it.
    assert_eq!(search("hi-from-tool", None).unwrap().len(), 3);
    assert_eq!(search("prob*", None).unwrap().len(), 1);
    for hostile in [
        "\"",
        "AND",
        "OR NOT",
        "NEAR(a b",
        "text:probe",
        "^probe",
        "a\"b",
        "(((",
        "-probe",
        "{col}",
    ] {
        if let Some(fts) = fts_query(hostile) {
            let q = SearchQuery {
                fts,
                slot_id: None,
                session_id: None,
                kind: None,
                limit: 5,
                offset: 0,
                ..SearchQuery::default()
            };
            store
                .search_conversations(&q)
                .unwrap_or_else(|e| panic!("{hostile}: {e}"));
        }
    }
}

#[test]
fn long_text_is_cut_and_paging_stops_at_the_limits() {
    let store = Store::open_in_memory().unwrap();
    let big = "x".repeat(MAX_TEXT_BYTES + 10);
    let line = json!({"type": "user", "uuid": "big", "message": {"content": big}}).to_string();
    let mut messages = batch(&LINES);
    messages.extend(batch(&[&line]));
    store
        .ingest_transcript(&file("/t.jsonl", 1), &messages)
        .unwrap();
    let all = all_messages(&store, true);
    let last = all.last().unwrap();
    assert!(last.truncated);
    assert_eq!(last.text.len(), MAX_TEXT_BYTES);
    assert!(all[..all.len() - 1].iter().all(|m| !m.truncated));

    let page = |since_id, limit, max_bytes| {
        store
            .conversation_messages(&MessageQuery {
                session_id: SESSION.into(),
                since_id,
                limit,
                include_thinking: true,
                include_payloads: false,
                max_bytes,
            })
            .unwrap()
    };
    let (first, more) = page(0, 2, usize::MAX);
    assert_eq!((first.len(), more), (2, true));
    assert!(first.iter().all(|m| m.payload.is_none()));
    let (rest, more) = page(first[1].id, 1000, usize::MAX);
    assert_eq!((rest.len(), more), (all.len() - 2, false));
    // A byte budget smaller than one message still returns that one message.
    let (tiny, more) = page(0, 1000, 1);
    assert_eq!((tiny.len(), more), (1, true));
}

#[test]
fn external_sessions_are_filtered_by_source_and_project_and_a_slot_can_claim_one() {
    let store = Store::open_in_memory().unwrap();
    let external = TranscriptFile {
        path: "/cfg/projects/-work-demo/x.jsonl".into(),
        session_id: SESSION.into(),
        slot_id: EXTERNAL_SLOT.into(),
        offset: 1,
        config_dir: Some("/cfg".into()),
        project: Some("-work-demo".into()),
    };
    store.ingest_transcript(&external, &batch(&LINES)).unwrap();
    let other = TranscriptFile {
        path: "/s/other.jsonl".into(),
        session_id: "other-session".into(),
        slot_id: "coder-1".into(),
        offset: 1,
        config_dir: None,
        project: Some("-elsewhere".into()),
    };
    let prompt = r#"{"type":"user","uuid":"o1","message":{"content":"probe from the slot"}}"#;
    store.ingest_transcript(&other, &batch(&[prompt])).unwrap();

    let list = |source: Option<&'static str>, project: Option<&str>| {
        store
            .conversations(&ConversationQuery {
                limit: 10,
                source,
                project: project.map(str::to_string),
                ..ConversationQuery::default()
            })
            .unwrap()
    };
    let (all, total) = list(None, None);
    assert_eq!((all.len(), total), (2, 2));
    let (ext, total) = list(Source::External.filter(), None);
    assert_eq!(total, 1);
    assert_eq!(ext[0].session_id, SESSION);
    assert_eq!(ext[0].source, "external");
    assert_eq!(ext[0].slot_id, "");
    assert_eq!(ext[0].config_dir.as_deref(), Some("/cfg"));
    assert_eq!(ext[0].project.as_deref(), Some("-work-demo"));
    let (slots, _) = list(Source::Slots.filter(), None);
    assert_eq!(slots.len(), 1);
    assert_eq!(slots[0].source, "slot");
    assert_eq!(
        list(None, Some("-elsewhere")).0[0].session_id,
        "other-session"
    );
    assert_eq!(list(Source::External.filter(), Some("-elsewhere")).1, 0);

    let search = |source: Option<&'static str>, project: Option<&str>| {
        store
            .search_conversations(&SearchQuery {
                fts: fts_query("probe*").unwrap(),
                source,
                project: project.map(str::to_string),
                limit: 10,
                ..SearchQuery::default()
            })
            .unwrap()
            .len()
    };
    assert_eq!(search(None, None), 2);
    assert_eq!(search(Source::External.filter(), None), 1);
    assert_eq!(search(Source::Slots.filter(), None), 1);
    assert_eq!(search(None, Some("-work-demo")), 1);

    let tokens = |source: Option<&'static str>| {
        store
            .token_stats(&TokenQuery {
                source,
                ..TokenQuery::default()
            })
            .unwrap()
    };
    let t = tokens(Source::External.filter());
    assert_eq!(t.total.responses, 2);
    assert_eq!(t.by_slot[0].key, "external");
    assert_eq!(tokens(Source::Slots.filter()).total.responses, 0);

    // The slot that really ran the session takes it over: no longer external.
    assert!(store.claim_conversation(SESSION, "coder-2").unwrap() > 0);
    assert_eq!(tokens(Source::External.filter()).total.responses, 0);
    assert_eq!(tokens(Source::Slots.filter()).by_slot[0].key, "coder-2");
    assert_eq!(list(Source::External.filter(), None).1, 0);
    assert_eq!(search(Source::External.filter(), None), 0);
}
