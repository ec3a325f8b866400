//! Finding skills: the user's, each slot project's and installed plugins'.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{MAX_SKILL_FILE_BYTES, MAX_SKILLS, Skill, parse};
use crate::catalogue::{SkillFileError, SkillSource};

/// Where to look.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    /// Claude Code's config dir (`~/.claude`): its `skills/` and `plugins/`.
    pub config_dir: Option<PathBuf>,
    /// Each slot's id and working folder (its project).
    pub projects: Vec<(String, PathBuf)>,
}

impl Roots {
    /// Claude Code's config dir from the environment: `CLAUDE_CONFIG_DIR`, else
    /// `$HOME/.claude`.
    pub fn config_dir_from_env() -> Option<PathBuf> {
        std::env::var_os("CLAUDE_CONFIG_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".claude"))
            })
    }
}

/// Everything a scan found.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Valid skills: user, then project, then plugin; each by name.
    pub skills: Vec<Skill>,
    /// Files that are not valid skills.
    pub errors: Vec<SkillFileError>,
    /// Folders searched.
    pub searched: Vec<String>,
}

/// Scans `roots`. Never fails as a whole: unreadable folders and files are errors of
/// their own.
pub fn scan(roots: &Roots) -> Scan {
    let mut out = Scan::default();
    if let Some(dir) = &roots.config_dir {
        folder(&mut out, &dir.join("skills"), SkillSource::User, None);
    }
    // Several slots may share a project: scan each folder once, naming every slot.
    let mut projects: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for (slot, cwd) in &roots.projects {
        projects
            .entry(cwd.join(".claude").join("skills"))
            .or_default()
            .push(slot.clone());
    }
    for (dir, slots) in projects {
        folder(&mut out, &dir, SkillSource::Project, Some(slots.join(", ")));
    }
    if let Some(dir) = &roots.config_dir {
        for (plugin, install) in plugins(&mut out, &dir.join("plugins")) {
            folder(
                &mut out,
                &install.join("skills"),
                SkillSource::Plugin,
                Some(plugin),
            );
        }
    }
    out.skills
        .sort_by(|a, b| (a.source, &a.name, &a.path).cmp(&(b.source, &b.name, &b.path)));
    out
}

/// Installed plugins (id, install folder) from `plugins/installed_plugins.json`:
/// version 1 maps ids to one install, version 2 to a list of them.
fn plugins(out: &mut Scan, dir: &Path) -> Vec<(String, PathBuf)> {
    let file = dir.join("installed_plugins.json");
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            error(out, &file, format!("cannot read: {e}"));
            return Vec::new();
        }
    };
    let json: serde_json::Value = match serde_json::from_str(&text) {
        Ok(j) => j,
        Err(e) => {
            error(out, &file, format!("not valid JSON: {e}"));
            return Vec::new();
        }
    };
    let Some(map) = json.get("plugins").and_then(|p| p.as_object()) else {
        error(out, &file, "has no `plugins` object".into());
        return Vec::new();
    };
    let mut found = Vec::new();
    for (id, installs) in map {
        let list = match installs {
            serde_json::Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for install in list {
            match install.get("installPath").and_then(|p| p.as_str()) {
                Some(p) => found.push((id.clone(), PathBuf::from(p))),
                None => error(out, &file, format!("plugin {id:?} has no installPath")),
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn error(out: &mut Scan, path: &Path, error: String) {
    out.errors.push(SkillFileError {
        path: path.display().to_string(),
        error,
    });
}

/// The skills of one `skills/` folder (`<skill>/SKILL.md` each).
fn folder(out: &mut Scan, dir: &Path, source: SkillSource, origin: Option<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            error(out, dir, format!("cannot list: {e}"));
            return;
        }
    };
    out.searched.push(dir.display().to_string());
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().join("SKILL.md"))
        .filter(|p| p.parent().is_some_and(Path::is_dir))
        .collect();
    files.sort();
    for file in files {
        if !file.exists() {
            // A folder without SKILL.md (a helper folder) is not a skill.
            continue;
        }
        if out.skills.len() >= MAX_SKILLS {
            error(
                out,
                &file,
                format!("skipped: more than {MAX_SKILLS} skills"),
            );
            continue;
        }
        match read(&file) {
            Ok(text) => match parse::parse(&text) {
                Ok((front, body)) => {
                    let name = front
                        .name
                        .or_else(|| parse::folder_name(&file))
                        .unwrap_or_default();
                    out.skills.push(Skill {
                        name,
                        description: front.description,
                        body,
                        source,
                        origin: origin.clone(),
                        path: file,
                    });
                }
                Err(e) => error(out, &file, e),
            },
            Err(e) => error(out, &file, e),
        }
    }
}

/// Reads a file of at most [`MAX_SKILL_FILE_BYTES`], as UTF-8.
fn read(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_SKILL_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_SKILL_FILE_BYTES {
        return Err(format!(
            "larger than {MAX_SKILL_FILE_BYTES} bytes; not read"
        ));
    }
    String::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()))
}
