//! What a project's manifests say about building, testing and running it.
//!
//! Only the few fields that make a fact are read, with small readers of their own
//! (a line reader for TOML's `[section]` / `key = value`, serde for JSON and YAML):
//! a manifest these cannot read is reported as a problem, never a failure of the run.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::{Discovery, PROJECT_CATEGORY, fact};

/// Largest manifest read, in bytes.
pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;
/// Most scripts, targets or services named in one fact.
pub const MAX_NAMED: usize = 40;
/// The docker compose file names looked for.
pub const COMPOSE_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// Reads the manifests in `dir` into `out`.
pub fn scan(dir: &Path, slots: &[String], out: &mut Discovery) {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let ctx = Ctx { dir, name, slots };
    if let Some(text) = read(&dir.join("Cargo.toml"), out) {
        cargo(&ctx, &text, out);
    }
    if let Some(text) = read(&dir.join("package.json"), out) {
        node(&ctx, &text, out);
    }
    for file in ["Makefile", "makefile", "GNUmakefile"] {
        if let Some(text) = read(&dir.join(file), out) {
            make(&ctx, file, &text, out);
            break;
        }
    }
    if let Some(text) = read(&dir.join("pyproject.toml"), out) {
        python(&ctx, &text, out);
    }
    for file in COMPOSE_FILES {
        if let Some(text) = read(&dir.join(file), out) {
            compose(&ctx, file, &text, out);
            break;
        }
    }
}

struct Ctx<'a> {
    dir: &'a Path,
    name: String,
    slots: &'a [String],
}

impl Ctx<'_> {
    fn push(
        &self,
        out: &mut Discovery,
        file: &str,
        what: &str,
        title: String,
        body: String,
        kind: &str,
    ) {
        let origin = self.dir.join(file);
        let mut tags = vec!["discovered".to_string(), kind.to_string()];
        tags.extend(self.slots.iter().take(10).cloned());
        let mut content = format!("Project `{}` in {}: {body}", self.name, self.dir.display());
        if !self.slots.is_empty() {
            content.push_str(&format!("\nSlots working here: {}.", self.slots.join(", ")));
        }
        let key = match what {
            "" => origin.display().to_string(),
            w => format!("{}#{w}", origin.display()),
        };
        out.facts
            .push(fact(key, title, content, PROJECT_CATEGORY, tags, &origin));
    }
}

fn read(path: &Path, out: &mut Discovery) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    if meta.len() > MAX_MANIFEST_BYTES {
        out.problems.push(format!(
            "{}: {} bytes, more than the {MAX_MANIFEST_BYTES} read",
            path.display(),
            meta.len()
        ));
        return None;
    }
    match std::fs::read_to_string(path) {
        Ok(t) => Some(t),
        Err(e) => {
            out.problems.push(format!("{}: {e}", path.display()));
            None
        }
    }
}

fn list(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(MAX_NAMED).map(String::as_str).collect();
    let mut s = shown.join(", ");
    if names.len() > MAX_NAMED {
        s.push_str(&format!(" and {} more", names.len() - MAX_NAMED));
    }
    s
}

/// A TOML file as `section -> key -> raw value`, with arrays of tables (`[[bin]]`)
/// numbered (`bin#0`, `bin#1`). Values are kept as written (strings unquoted).
fn toml_sections(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_string();
            let n = counts.entry(name.clone()).or_default();
            current = format!("{name}#{n}");
            *n += 1;
            sections.entry(current.clone()).or_default();
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = name.trim().to_string();
            sections.entry(current.clone()).or_default();
        } else if let Some((k, v)) = line.split_once('=') {
            let key = k.trim().trim_matches('"').to_string();
            let value = v.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.split('"').next())
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.split('\'').next()))
                .unwrap_or(value)
                .to_string();
            sections
                .entry(current.clone())
                .or_default()
                .insert(key, value);
        }
    }
    sections
}

fn cargo(ctx: &Ctx<'_>, text: &str, out: &mut Discovery) {
    let s = toml_sections(text);
    let package = s.get("package").and_then(|p| p.get("name")).cloned();
    let workspace = s.contains_key("workspace");
    let bins: Vec<String> = s
        .iter()
        .filter(|(k, _)| k.starts_with("bin#"))
        .filter_map(|(_, v)| v.get("name").cloned())
        .collect();
    let features: Vec<String> = s
        .get("features")
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default();
    let all = if workspace { " --workspace" } else { "" };
    let mut body = match &package {
        Some(p) => format!("Rust crate `{p}` (Cargo)."),
        None => "Rust workspace (Cargo).".to_string(),
    };
    body.push_str(&format!(
        " Build: `cargo build{all}`. Test: `cargo test{all}`. Lint: `cargo clippy{all} --all-targets`."
    ));
    if workspace && let Some(members) = s.get("workspace").and_then(|w| w.get("members")) {
        body.push_str(&format!(" Workspace members: {members}."));
    }
    if !bins.is_empty() {
        body.push_str(&format!(
            " Binaries: {} (`cargo run --bin NAME`).",
            list(&bins)
        ));
    } else if package.is_some() && ctx.dir.join("src/main.rs").is_file() {
        body.push_str(" Run: `cargo run`.");
    }
    if !features.is_empty() {
        body.push_str(&format!(" Features: {}.", list(&features)));
    }
    let title = format!(
        "Build and test {} (Rust)",
        package.as_deref().unwrap_or(&ctx.name)
    );
    ctx.push(out, "Cargo.toml", "", title, body, "rust");
}

fn node(ctx: &Ctx<'_>, text: &str, out: &mut Discovery) {
    let path = ctx.dir.join("package.json");
    let json: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.problems
                .push(format!("{}: not JSON ({e})", path.display()));
            return;
        }
    };
    let runner = if ctx.dir.join("pnpm-lock.yaml").is_file() {
        "pnpm"
    } else if ctx.dir.join("yarn.lock").is_file() {
        "yarn"
    } else if ctx.dir.join("bun.lockb").is_file() || ctx.dir.join("bun.lock").is_file() {
        "bun"
    } else {
        "npm"
    };
    let name = json
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(&ctx.name)
        .to_string();
    let scripts: Vec<(String, String)> = json
        .get("scripts")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let mut body = format!("Node package `{name}`. Install: `{runner} install`.");
    for (script, label) in [
        ("build", "Build"),
        ("test", "Test"),
        ("lint", "Lint"),
        ("dev", "Dev server"),
        ("start", "Start"),
    ] {
        if scripts.iter().any(|(k, _)| k == script) {
            body.push_str(&format!(" {label}: `{runner} run {script}`."));
        }
    }
    if !scripts.is_empty() {
        body.push_str("\nScripts:");
        for (k, v) in scripts.iter().take(MAX_NAMED) {
            body.push_str(&format!("\n- `{k}`: `{v}`"));
        }
        if scripts.len() > MAX_NAMED {
            body.push_str(&format!("\n- and {} more", scripts.len() - MAX_NAMED));
        }
    }
    ctx.push(
        out,
        "package.json",
        "",
        format!("Scripts of {name} (Node)"),
        body,
        "node",
    );
}

fn make(ctx: &Ctx<'_>, file: &str, text: &str, out: &mut Discovery) {
    let mut targets: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with(['\t', ' ', '#', '.']) {
            continue;
        }
        let Some((head, rest)) = line.split_once(':') else {
            continue;
        };
        // `A := b`, `A ::= b` are assignments, `a%: b` pattern rules.
        if rest.starts_with('=') || head.contains(['=', '%', '$', '(']) {
            continue;
        }
        for t in head.split_whitespace() {
            if !t.is_empty() && !targets.iter().any(|x| x == t) {
                targets.push(t.to_string());
            }
        }
    }
    if targets.is_empty() {
        return;
    }
    let mut body = format!(
        "Make targets: {}. Default: `make` runs `{}`.",
        list(&targets),
        targets[0]
    );
    for (t, label) in [
        ("build", "Build"),
        ("test", "Test"),
        ("check", "Check"),
        ("lint", "Lint"),
    ] {
        if targets.iter().any(|x| x == t) {
            body.push_str(&format!(" {label}: `make {t}`."));
        }
    }
    ctx.push(
        out,
        file,
        "",
        format!("Make targets of {}", ctx.name),
        body,
        "make",
    );
}

fn python(ctx: &Ctx<'_>, text: &str, out: &mut Discovery) {
    let s = toml_sections(text);
    let name = s
        .get("project")
        .and_then(|p| p.get("name"))
        .or_else(|| s.get("tool.poetry").and_then(|p| p.get("name")))
        .cloned()
        .unwrap_or_else(|| ctx.name.clone());
    let backend = s
        .get("build-system")
        .and_then(|b| b.get("build-backend"))
        .cloned();
    let poetry = s.keys().any(|k| k.starts_with("tool.poetry"));
    let uv = ctx.dir.join("uv.lock").is_file();
    let scripts: Vec<String> = ["project.scripts", "tool.poetry.scripts"]
        .iter()
        .filter_map(|k| s.get(*k))
        .flat_map(|m| m.keys().cloned())
        .collect();
    let pytest = s.contains_key("tool.pytest.ini_options") || text.contains("pytest");
    let (install, run) = if poetry {
        ("poetry install", "poetry run ")
    } else if uv {
        ("uv sync", "uv run ")
    } else {
        ("pip install -e .", "")
    };
    let mut body = format!("Python project `{name}`. Install: `{install}`.");
    if let Some(b) = backend {
        body.push_str(&format!(" Build backend: {b} (`python -m build`)."));
    }
    if pytest {
        body.push_str(&format!(" Test: `{run}pytest`."));
    }
    if !scripts.is_empty() {
        body.push_str(&format!(" Commands: {}.", list(&scripts)));
    }
    if s.contains_key("tool.ruff") {
        body.push_str(&format!(" Lint: `{run}ruff check`."));
    }
    ctx.push(
        out,
        "pyproject.toml",
        "",
        format!("Build and test {name} (Python)"),
        body,
        "python",
    );
}

fn compose(ctx: &Ctx<'_>, file: &str, text: &str, out: &mut Discovery) {
    let path = ctx.dir.join(file);
    let doc: Value = match serde_saphyr::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.problems
                .push(format!("{}: not YAML ({e})", path.display()));
            return;
        }
    };
    let Some(services) = doc.get("services").and_then(Value::as_object) else {
        out.problems
            .push(format!("{}: no `services` mapping", path.display()));
        return;
    };
    for (name, svc) in services.iter().take(MAX_NAMED) {
        let text_of = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut body = format!("Docker compose service `{name}`");
        if let Some(image) = svc.get("image").and_then(Value::as_str) {
            body.push_str(&format!(", image {image}"));
        } else if svc.get("build").is_some() {
            body.push_str(", built from the project");
        }
        body.push('.');
        if let Some(ports) = svc
            .get("ports")
            .and_then(Value::as_array)
            .filter(|p| !p.is_empty())
        {
            let ports: Vec<String> = ports.iter().map(text_of).collect();
            body.push_str(&format!(" Ports (host:container): {}.", ports.join(", ")));
        }
        if let Some(deps) = svc.get("depends_on") {
            let names: Vec<String> = match deps {
                Value::Array(a) => a.iter().map(text_of).collect(),
                Value::Object(m) => m.keys().cloned().collect(),
                _ => Vec::new(),
            };
            if !names.is_empty() {
                body.push_str(&format!(" Depends on: {}.", names.join(", ")));
            }
        }
        body.push_str(&format!(
            " Start: `docker compose up -d {name}`. Logs: `docker compose logs {name}`."
        ));
        ctx.push(
            out,
            file,
            name,
            format!("Service {name} of {}", ctx.name),
            body,
            "compose",
        );
    }
}
