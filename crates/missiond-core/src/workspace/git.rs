//! Running the `git` binary: one place that decides its environment and options.
//!
//! Every command runs with a clean environment (only `PATH`, `HOME`, `XDG_CONFIG_HOME`
//! and `USER` pass through, so a `GIT_DIR` or `GIT_INDEX_FILE` the daemon inherited from
//! a hook cannot redirect it), in the C locale, without prompts, and with hooks and the
//! file-system monitor turned off: the daemon runs git outside any sandbox, on files an
//! agent wrote, and must not run code the agent placed in the repository.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::WorkspaceError;

/// Overrides the git binary (`git` on `PATH` otherwise).
pub const ENV_GIT: &str = "MISSIOND_GIT";

/// Variables passed through from the daemon's environment.
const KEPT_ENV: &[&str] = &["PATH", "HOME", "XDG_CONFIG_HOME", "USER"];

/// git, run in one folder.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
}

/// What one git command printed, and whether it succeeded.
#[derive(Debug, Clone)]
pub struct Ran {
    /// Exit code (`None`: ended by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Ran {
    /// Exit code 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

impl Git {
    /// git working in `dir` (`git -C dir`).
    pub fn new(dir: impl Into<PathBuf>) -> Git {
        Git { dir: dir.into() }
    }

    /// The folder it runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `args`; its output whatever the exit code. Fails only when git cannot start.
    pub fn ran<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Ran, WorkspaceError> {
        let program = std::env::var_os(ENV_GIT)
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "git".into());
        let mut cmd = Command::new(&program);
        cmd.env_clear();
        for key in KEPT_ENV {
            if let Some(value) = std::env::var_os(key) {
                cmd.env(key, value);
            }
        }
        cmd.env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            // Status and diff need no index lock: they must not fail, nor make an agent's
            // own git fail, while both run at once.
            .env("GIT_OPTIONAL_LOCKS", "0")
            .arg("-C")
            .arg(&self.dir)
            .args([
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "core.fsmonitor=false",
            ])
            .args(args)
            .stdin(Stdio::null());
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().map_err(|e| WorkspaceError::NoGit {
            program: PathBuf::from(&program),
            message: e.to_string(),
        })?;
        Ok(Ran {
            code: status.code(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    /// Runs `args` and returns its standard output; a failure carries git's own message.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String, WorkspaceError> {
        let ran = self.ran(args)?;
        if ran.ok() {
            Ok(ran.stdout)
        } else {
            Err(self.failed(args, &ran))
        }
    }

    /// The error for a command that ran and failed.
    pub fn failed<S: AsRef<OsStr>>(&self, args: &[S], ran: &Ran) -> WorkspaceError {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        let stderr = ran.stderr.trim();
        WorkspaceError::Git {
            command: format!("git {}", args.join(" ")),
            dir: self.dir.clone(),
            message: if stderr.is_empty() {
                ran.stdout.trim().to_string()
            } else {
                stderr.to_string()
            },
        }
    }

    /// The first line of `run(args)`, trimmed.
    pub fn line<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String, WorkspaceError> {
        Ok(self
            .run(args)?
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string())
    }

    /// Whether `args` exits 0 (for questions such as `merge-base --is-ancestor`).
    pub fn succeeds<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<bool, WorkspaceError> {
        Ok(self.ran(args)?.ok())
    }

    /// `-c user.name=… -c user.email=…` when no identity is configured, so commits made
    /// for a slot never fail for want of one.
    pub fn identity_args(&self) -> Result<Vec<String>, WorkspaceError> {
        let email = self.ran(&["config", "user.email"])?;
        if email.ok() && !email.stdout.trim().is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![
            "-c".into(),
            "user.name=missiond".into(),
            "-c".into(),
            "user.email=missiond@localhost".into(),
        ])
    }
}
