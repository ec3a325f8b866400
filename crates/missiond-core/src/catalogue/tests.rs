//! Catalogue checks: names, schemas, annotations, param decoding, generated docs.

use serde_json::{Value, json};

use super::*;

const EXPECTED_TOOLS: [&str; 87] = [
    "mission_pty_spawn",
    "mission_pty_send",
    "mission_pty_screen",
    "mission_pty_confirm",
    "mission_pty_interrupt",
    "mission_pty_kill",
    "mission_pty_status",
    "mission_pty_history",
    "mission_pty_logs",
    "mission_pty_screenshot",
    "mission_slots",
    "mission_agents",
    "mission_health",
    "mission_reload",
    "mission_submit",
    "mission_task",
    "mission_ask",
    "mission_status",
    "mission_cancel",
    "mission_slot_history",
    "mission_inbox",
    "mission_spawn",
    "mission_kill",
    "mission_restart",
    "mission_autonomous_start",
    "mission_autonomous_stop",
    "mission_report",
    "mission_permission_get",
    "mission_permission_set_role",
    "mission_permission_set_slot",
    "mission_permission_add_auto_allow",
    "mission_permission_reload",
    "mission_kb_remember",
    "mission_kb_search",
    "mission_kb_get",
    "mission_kb_list",
    "mission_kb_forget",
    "mission_kb_import",
    "mission_kb_gc",
    "mission_conversation_list",
    "mission_conversation_get",
    "mission_conversation_search",
    "mission_token_stats",
    "mission_question_create",
    "mission_question_list",
    "mission_question_get",
    "mission_question_answer",
    "mission_question_dismiss",
    "mission_board_list",
    "mission_board_create",
    "mission_board_update",
    "mission_board_get",
    "mission_board_delete",
    "mission_board_toggle",
    "mission_board_note_add",
    "mission_board_summary",
    "mission_infra_list",
    "mission_infra_get",
    "mission_reachability",
    "mission_os_diagnose",
    "mission_skill_list",
    "mission_skill_search",
    "mission_context_build",
    "mission_jarvis_logs",
    "mission_jarvis_trace",
    "mission_cc_sessions",
    "mission_cc_tasks",
    "mission_cc_overview",
    "mission_cc_in_progress",
    "mission_cc_trigger_swarm",
    "mission_workspace_status",
    "mission_workspace_diff",
    "mission_workspace_commit",
    "mission_workspace_merge",
    "mission_workspace_rebase",
    "mission_workspace_remove",
    "mission_router_chat",
    "mission_kb_analyze",
    "mission_kb_apply",
    "mission_kb_discover",
    "mission_memory_pending",
    "mission_memory_done",
    "mission_memory_pause",
    "mission_memory_resume",
    "mission_memory_status",
    "mission_memory_deep",
    "mission_question_mine",
];

#[test]
fn lists_every_tool_once_and_finds_it_by_name() {
    let names: Vec<&str> = all().iter().map(|t| t.name).collect();
    assert_eq!(names, EXPECTED_TOOLS);
    for name in EXPECTED_TOOLS {
        assert_eq!(find(name).map(|t| t.name), Some(name));
    }
    assert!(find("mission_nope").is_none());
}

fn walk(value: &Value, visit: &mut impl FnMut(&serde_json::Map<String, Value>)) {
    match value {
        Value::Object(obj) => {
            visit(obj);
            obj.values().for_each(|v| walk(v, visit));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, visit)),
        _ => {}
    }
}

#[test]
fn schemas_are_self_contained_objects_with_camel_case_fields() {
    for tool in all() {
        for (kind, schema) in [
            ("input", &tool.input_schema),
            ("output", &tool.output_schema),
        ] {
            assert_eq!(
                schema.get("type"),
                Some(&json!("object")),
                "{} {kind}",
                tool.name
            );
            let whole = Value::Object(schema.clone());
            walk(&whole, &mut |obj| {
                assert!(!obj.contains_key("$ref"), "{} {kind} has a $ref", tool.name);
                if let Some(props) = obj.get("properties").and_then(Value::as_object) {
                    for name in props.keys() {
                        assert!(
                            !name.contains('_')
                                && name.starts_with(|c: char| c.is_ascii_lowercase()),
                            "{} {kind}: field {name} is not camelCase",
                            tool.name
                        );
                    }
                }
            });
        }
        assert!(
            tool.description.len() > 120,
            "{} needs a fuller description",
            tool.name
        );
    }
}

#[test]
fn inputs_refuse_unknown_fields() {
    for tool in all() {
        assert_eq!(
            tool.input_schema.get("additionalProperties"),
            Some(&json!(false)),
            "{}",
            tool.name
        );
    }
}

fn required(name: &str) -> Vec<String> {
    let tool = find(name).expect("tool exists");
    let mut req: Vec<String> = tool
        .input_schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    req.sort();
    req
}

#[test]
fn required_arguments_match_the_contract() {
    assert_eq!(required("mission_pty_send"), ["message", "slotId"]);
    // One of response, label and text (checked by `PtyConfirmParams::answer`).
    assert_eq!(required("mission_pty_confirm"), ["slotId"]);
    let confirm = find("mission_pty_confirm").expect("confirm");
    for arg in ["response", "label", "text"] {
        assert!(
            confirm.input_schema["properties"].get(arg).is_some(),
            "{arg}"
        );
    }
    assert_eq!(required("mission_pty_screen"), ["slotId"]);
    assert_eq!(required("mission_pty_logs"), ["slotId"]);
    assert!(required("mission_health").is_empty());
    let send = find("mission_pty_send").expect("send");
    let props = &send.input_schema["properties"];
    assert!(props.get("timeoutMs").is_some());
    let logs = find("mission_pty_logs").expect("logs");
    assert!(logs.input_schema["properties"].get("tailBytes").is_some());
}

#[test]
fn annotations_mark_queries_read_only_and_kill_destructive() {
    let read_only = [
        "mission_pty_screen",
        "mission_pty_status",
        "mission_pty_history",
        "mission_pty_logs",
        "mission_pty_screenshot",
        "mission_slots",
        "mission_agents",
        "mission_health",
        "mission_task",
        "mission_status",
        "mission_slot_history",
        "mission_permission_get",
        "mission_kb_search",
        "mission_kb_list",
        "mission_conversation_list",
        "mission_conversation_get",
        "mission_conversation_search",
        "mission_token_stats",
        "mission_question_list",
        "mission_question_get",
        "mission_board_list",
        "mission_board_get",
        "mission_board_summary",
        "mission_infra_list",
        "mission_infra_get",
        "mission_reachability",
        "mission_os_diagnose",
        "mission_skill_list",
        "mission_skill_search",
        "mission_context_build",
        "mission_jarvis_logs",
        "mission_jarvis_trace",
        "mission_cc_sessions",
        "mission_cc_tasks",
        "mission_cc_overview",
        "mission_cc_in_progress",
        "mission_workspace_status",
        "mission_workspace_diff",
        "mission_memory_status",
    ];
    for tool in all() {
        assert_eq!(
            tool.annotations.read_only_hint,
            read_only.contains(&tool.name),
            "{}",
            tool.name
        );
    }
    let kill = find("mission_pty_kill").expect("kill");
    assert!(kill.annotations.destructive_hint);
}

#[test]
fn decode_errors_name_the_field() {
    let cases = [
        (json!({}), "slotId"),
        (
            json!({"slotId": "a", "message": "hi", "timeoutMs": "soon"}),
            "timeoutMs",
        ),
        (json!({"slotId": "a", "message": "hi", "extra": 1}), "extra"),
        (json!({"slotId": 5, "message": "hi"}), "slotId"),
    ];
    for (params, field) in cases {
        let err = PtySend::params(params.clone()).expect_err("must fail");
        assert_eq!(err.code, -32602, "{params}");
        assert!(err.message.contains(field), "{params}: {}", err.message);
        assert_eq!(err.data, Some(json!({ "field": field })), "{params}");
    }
    let err = PtyConfirm::params(json!({"slotId": "a", "response": "maybe"})).expect_err("bad");
    assert_eq!(err.data, Some(json!({"field": "response"})));
}

#[test]
fn typed_params_round_trip_through_json() {
    let params = PtySendParams {
        slot_id: "coder-1".into(),
        message: "hello".into(),
        timeout_ms: Some(5000),
    };
    let wire = serde_json::to_value(&params).expect("serialise");
    assert_eq!(
        wire,
        json!({"slotId": "coder-1", "message": "hello", "timeoutMs": 5000})
    );
    assert_eq!(PtySend::params(wire).ok(), Some(params));
    let confirm = PtyConfirm::params(json!({"slotId": "s", "response": 2})).expect("valid");
    assert_eq!(confirm.response, Some(ConfirmResponse::Option(2)));
    assert_eq!(
        confirm.answer(),
        Ok(ConfirmAnswer::Response(ConfirmResponse::Option(2)))
    );
    assert_eq!(Health::params(json!({})).ok(), Some(EmptyParams {}));
}

#[test]
fn confirm_takes_exactly_one_answer() {
    let answer = |v| PtyConfirm::params(v).expect("valid").answer();
    assert_eq!(
        answer(json!({"slotId": "s", "label": " Green "})),
        Ok(ConfirmAnswer::Label("Green".into()))
    );
    assert_eq!(
        answer(json!({"slotId": "s", "text": "orbit"})),
        Ok(ConfirmAnswer::Text("orbit".into()))
    );
    for bad in [
        json!({"slotId": "s"}),
        json!({"slotId": "s", "response": "yes", "text": "x"}),
        json!({"slotId": "s", "label": "  "}),
        json!({"slotId": "s", "text": "two\nlines"}),
    ] {
        assert!(answer(bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn generated_docs_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/tools.md");
    let fresh = render_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).expect("write docs/tools.md");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fresh,
        "docs/tools.md is stale: regenerate it with `UPDATE_DOCS=1 cargo test -p missiond-core`"
    );
}

#[test]
fn docs_cover_every_tool_and_argument() {
    let md = render_markdown();
    for tool in all() {
        assert!(md.contains(&format!("## {}", tool.name)), "{}", tool.name);
        if let Some(props) = tool.doc_schemas[0]
            .get("properties")
            .and_then(Value::as_object)
        {
            for name in props.keys() {
                assert!(
                    md.contains(&format!("| `{name}` |")),
                    "{} {name}",
                    tool.name
                );
            }
        }
    }
}

#[test]
fn a_tool_serialises_in_the_mcp_tool_shape() {
    let kill = serde_json::to_value(find("mission_pty_kill").expect("kill")).expect("json");
    let mut keys: Vec<&str> = kill
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "annotations",
            "description",
            "inputSchema",
            "name",
            "outputSchema",
            "title"
        ]
    );
    assert_eq!(kill["annotations"]["destructiveHint"], json!(true));
    assert_eq!(kill["annotations"]["readOnlyHint"], json!(false));
    assert_eq!(kill["inputSchema"]["required"], json!(["slotId"]));
}

#[test]
fn queue_tools_require_what_the_issue_names() {
    assert_eq!(required("mission_submit"), ["prompt"]);
    assert_eq!(required("mission_task"), ["taskIds"]);
    assert_eq!(required("mission_ask"), ["prompt"]);
    assert_eq!(required("mission_cancel"), ["taskId"]);
    assert_eq!(required("mission_slot_history"), ["slotId"]);
    assert_eq!(required("mission_autonomous_start"), ["goal", "slotId"]);
    assert_eq!(required("mission_autonomous_stop"), ["slotId"]);
    assert_eq!(required("mission_report"), ["kind", "text"]);
    assert_eq!(required("mission_permission_set_role"), ["role"]);
    assert_eq!(required("mission_permission_set_slot"), ["slotId"]);
    assert_eq!(required("mission_permission_add_auto_allow"), ["pattern"]);
    assert!(required("mission_status").is_empty());
    assert!(required("mission_inbox").is_empty());
    let submit = &find("mission_submit").expect("submit").input_schema["properties"];
    for optional in ["slotId", "role", "priority"] {
        assert!(submit.get(optional).is_some(), "{optional}");
    }
    assert_eq!(submit["priority"]["minimum"], json!(-100));
    assert_eq!(submit["priority"]["maximum"], json!(100));
    let report = &find("mission_report").expect("report").input_schema["properties"];
    let kinds = report["kind"].to_string();
    for kind in ["done", "progress", "question"] {
        assert!(kinds.contains(kind), "{kinds}");
    }
    let task = &find("mission_task").expect("task").output_schema["properties"]["tasks"];
    let statuses = task.to_string();
    for status in ["queued", "running", "done", "failed", "cancelled"] {
        assert!(statuses.contains(&format!("\"{status}\"")), "{status}");
    }
}

#[test]
fn queue_tool_params_decode_and_name_bad_fields() {
    let p =
        Submit::params(json!({"prompt": "fix it", "role": "coder", "priority": 5})).expect("valid");
    assert_eq!(
        (p.role.as_deref(), p.priority, p.slot_id),
        (Some("coder"), Some(5), None)
    );
    let t = TaskQuery::params(json!({"taskIds": ["t-000012", "7"]})).expect("valid");
    assert_eq!(
        t.task_ids,
        [crate::tasks::TaskId(12), crate::tasks::TaskId(7)]
    );
    type Decode = fn(Value) -> Result<(), crate::ipc::RpcError>;
    let cases: [(Decode, Value, &str); 5] = [
        (
            |v| TaskQuery::params(v).map(drop),
            json!({"taskIds": ["t-1", "job-9"]}),
            "taskIds[1]",
        ),
        (
            |v| Cancel::params(v).map(drop),
            json!({"taskId": "t-0"}),
            "taskId",
        ),
        (
            |v| Submit::params(v).map(drop),
            json!({"prompt": "x", "priority": "high"}),
            "priority",
        ),
        (
            |v| Report::params(v).map(drop),
            json!({"kind": "finished", "text": "x"}),
            "kind",
        ),
        (
            |v| Ask::params(v).map(drop),
            json!({"prompt": "x", "timeoutMs": -5}),
            "timeoutMs",
        ),
    ];
    for (decode, params, field) in cases {
        let err = decode(params.clone()).expect_err("must fail");
        assert_eq!(err.code, -32602, "{params}");
        assert_eq!(err.data, Some(json!({ "field": field })), "{params}");
    }
}

#[test]
fn a_policy_reads_back_as_pattern_texts() {
    let text = r#"
roles:
  coder:
    allow: ["Bash(npm test*)", "Read"]
    deny: ["Bash(rm -rf*)"]
auto_allow:
  - pattern: "Bash(ls*)"
    roles: [coder]
"#;
    let path = std::path::Path::new("/tmp/permissions.yaml");
    let policy = crate::permissions::Policy::parse(text, path, None).expect("parses");
    let wire = PermissionPolicy::new(&policy, path);
    let coder = &wire.roles["coder"];
    assert_eq!(coder.allow, ["Bash(npm test*)", "Read"]);
    assert_eq!(coder.deny, ["Bash(rm -rf*)"]);
    assert!(coder.confirm.is_empty());
    assert_eq!(wire.auto_allow[0].pattern, "Bash(ls*)");
    assert_eq!(wire.auto_allow[0].roles, ["coder"]);
    assert_eq!(wire.path, "/tmp/permissions.yaml");
}

#[test]
fn schemas_carry_no_rust_integer_formats() {
    fn formats(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(f)) = map.get("format") {
                    found.push(f.clone());
                }
                map.values().for_each(|v| formats(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| formats(v, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    for tool in all() {
        formats(&Value::Object(tool.input_schema.clone()), &mut found);
        formats(&Value::Object(tool.output_schema.clone()), &mut found);
    }
    let odd: Vec<_> = found
        .iter()
        .filter(|f| f.contains("int") || *f == "double")
        .collect();
    assert!(odd.is_empty(), "non-standard formats left: {odd:?}");
    // The integer fields still exist and keep their ranges.
    let send = find("mission_pty_send").expect("mission_pty_send");
    let timeout = &send.input_schema["properties"]["timeoutMs"];
    assert!(timeout.to_string().contains("maximum"), "{timeout}");
}

#[test]
fn every_screen_state_has_the_same_name_as_a_slot_state() {
    use semantic_terminal::State::*;
    for s in [
        Starting,
        Idle,
        Thinking,
        Responding,
        ToolRunning,
        Confirming,
        Error,
        SlashMenu,
        Exited,
        Unknown,
    ] {
        assert_eq!(SlotState::from(s).as_str(), s.as_str());
    }
}

#[test]
fn agent_tools_exist_and_their_caller_field_is_an_argument() {
    for tool in AGENT_TOOLS {
        let def =
            find(tool.name).unwrap_or_else(|| panic!("{} is not in the catalogue", tool.name));
        if let Some(field) = tool.caller_field {
            assert!(
                def.input_schema["properties"].get(field).is_some(),
                "{} has no {field} argument",
                tool.name
            );
        }
        assert!(
            !tool.name.contains("pty"),
            "agents must not drive slots: {}",
            tool.name
        );
    }
    assert!(agent_tool("mission_submit").is_none());
}
