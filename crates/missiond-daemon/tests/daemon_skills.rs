//! Skill tools through a real daemon over real folders: the user's skills (in
//! CLAUDE_CONFIG_DIR), a slot project's, an installed plugin's, malformed files, FTS
//! search, and mission_context_build with a knowledge base entry. Needs no Claude Code.

mod daemon_support;

use std::path::Path;

use daemon_support::{Daemon, err_code, ok, shell_slot_yaml};
use serde_json::{Value, json};

const INVALID_PARAMS: i32 = -32602;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn names(v: &Value, list: &str, key: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {v}"))
        .iter()
        .map(|s| {
            s[key]
                .as_str()
                .or_else(|| s["skill"][key].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skills_from_user_project_and_plugins_searched_and_built_into_context() {
    let dir = tempfile::Builder::new().prefix("skills").tempdir().unwrap();
    let config = dir.path().join("claude-config");
    let work = dir.path().join("work");
    let plugin = dir.path().join("plugin-cache/reviewer/1.0.0");
    write(
        &config.join("skills/deploy/SKILL.md"),
        "---\nname: deploy\ndescription: Deploy the web app to production\nallowed-tools: Bash\n---\n\n# Deploy\n\nRun `make release`, then watch the canary dashboard for ten minutes.\n",
    );
    write(
        &config.join("skills/no-front/SKILL.md"),
        "# Just a heading\n",
    );
    write(
        &config.join("skills/bad-yaml/SKILL.md"),
        "---\nname: bad\ndescription: [unclosed\n---\nbody\n",
    );
    write(&config.join("skills/empty-dir/.keep"), "");
    write(
        &work.join(".claude/skills/migrations/SKILL.md"),
        "---\ndescription: Write database migrations safely\n---\nAlways add columns as nullable first; backfill; then constrain.\n",
    );
    write(
        &plugin.join("skills/review/SKILL.md"),
        "---\nname: review\ndescription: Review a pull request\n---\nRead the diff twice. Check the tests fail without the change.\n",
    );
    write(
        &config.join("plugins/installed_plugins.json"),
        &json!({"version": 2, "plugins": {"reviewer@tools": [{"scope": "user", "installPath": plugin}]}}).to_string(),
    );
    let home = dir.path().join("home");
    let config_env = config.display().to_string();
    let daemon = Daemon::start_with_env(
        &home,
        Some(&shell_slot_yaml(&work)),
        &[("CLAUDE_CONFIG_DIR", config_env.as_str())],
    );
    let client = daemon.client().await;

    let list = ok(&client, "mission_skill_list", json!({})).await;
    assert_eq!(
        names(&list, "skills", "name"),
        ["deploy", "migrations", "review"],
        "{list}"
    );
    let skills = list["skills"].as_array().unwrap();
    assert_eq!(skills[0]["source"], "user");
    assert_eq!(skills[1]["source"], "project");
    assert_eq!(skills[1]["origin"], "sh");
    assert_eq!(skills[2]["source"], "plugin");
    assert_eq!(skills[2]["origin"], "reviewer@tools");
    let errors = list["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{list}");
    let err_of = |folder: &str| {
        errors
            .iter()
            .find(|e| e["path"].as_str().unwrap().contains(folder))
            .unwrap_or_else(|| panic!("no error for {folder}: {list}"))["error"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(err_of("no-front").contains("front matter"));
    assert!(
        err_of("bad-yaml").contains("line 3"),
        "{}",
        err_of("bad-yaml")
    );
    let only = ok(&client, "mission_skill_list", json!({"source": "plugin"})).await;
    assert_eq!(names(&only, "skills", "name"), ["review"]);

    let hits = ok(&client, "mission_skill_search", json!({"query": "canary"})).await;
    assert_eq!(names(&hits, "hits", "name"), ["deploy"], "{hits}");
    assert!(
        hits["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("**canary**")
    );
    let hits = ok(
        &client,
        "mission_skill_search",
        json!({"query": "database migrat"}),
    )
    .await;
    assert_eq!(names(&hits, "hits", "name"), ["migrations"], "{hits}");
    let none = ok(
        &client,
        "mission_skill_search",
        json!({"query": "kubernetes"}),
    )
    .await;
    assert_eq!(none["hits"], json!([]));
    err_code(
        &client,
        "mission_skill_search",
        json!({"query": "   "}),
        INVALID_PARAMS,
    )
    .await;
    let data = err_code(
        &client,
        "mission_skill_search",
        json!({"query": "x".repeat(5000)}),
        INVALID_PARAMS,
    )
    .await;
    assert_eq!(data["field"], "query");

    ok(
        &client,
        "mission_kb_remember",
        json!({"key": "prod/deploy-window", "content": "Production deploys only on weekdays before 15:00.", "category": "ops"}),
    )
    .await;
    let ctx = ok(
        &client,
        "mission_context_build",
        json!({"task": "deploy the web app to production", "skills": ["review"]}),
    )
    .await;
    let sources: Vec<(String, String)> = ctx["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_string(),
                s["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        sources[0],
        ("skill".into(), "review".into()),
        "named skills come first: {ctx}"
    );
    assert!(
        sources.contains(&("skill".into(), "deploy".into())),
        "{ctx}"
    );
    assert!(
        sources.contains(&("kb".into(), "prod/deploy-window".into())),
        "{ctx}"
    );
    let text = ctx["context"].as_str().unwrap();
    assert!(
        text.contains("make release") && text.contains("weekdays before 15:00"),
        "{text}"
    );
    assert_eq!(ctx["bytes"].as_u64().unwrap() as usize, text.len());

    let small = ok(
        &client,
        "mission_context_build",
        json!({"task": "deploy production", "skills": ["review", "deploy", "migrations"], "maxBytes": 300}),
    )
    .await;
    assert!(small["bytes"].as_u64().unwrap() <= 300, "{small}");
    assert!(small["context"].as_str().unwrap().len() <= 300);
    assert!(!small["omitted"].as_array().unwrap().is_empty(), "{small}");
    let data = err_code(
        &client,
        "mission_context_build",
        json!({"task": "x", "skills": ["nope"]}),
        INVALID_PARAMS,
    )
    .await;
    assert_eq!(data["field"], "skills");
    let data = err_code(
        &client,
        "mission_context_build",
        json!({"task": "x", "maxBytes": 10_000_000}),
        INVALID_PARAMS,
    )
    .await;
    assert_eq!(data["field"], "maxBytes");
}
