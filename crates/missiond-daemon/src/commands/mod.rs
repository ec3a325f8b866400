//! The client side of the command line: thin commands over the daemon's IPC, for people
//! (`missiond status`, `send`, ...) and for Claude Code's hooks (`missiond hook`).

mod board;
pub mod daemon_logs;
mod errors;
mod hook;
mod out;
mod print;
mod stop;
pub mod usage;
mod workspace;

use anyhow::{Context, Result};
use clap::Subcommand;
use missiond_core::catalogue::{
    self as cat, ConfirmResponse, EmptyParams, PtyConfirmParams, PtyHistoryParams, PtyLogsParams,
    PtyScreenParams, PtySendParams, SlotParams,
};
use missiond_core::ipc::{ClientError, IpcClient};

use errors::CliError;
use out::Out;

use missiond_core::paths::Paths;

/// Commands that talk to a running daemon.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Is the daemon up, and what is every slot doing?
    Status,
    /// The configured slots.
    Slots,
    /// Start a slot's Claude Code.
    Spawn {
        /// The slot's id.
        slot: String,
    },
    /// Send a prompt to a slot and print its answer.
    Send {
        /// The slot's id.
        slot: String,
        /// The prompt.
        text: String,
        /// How long to wait for the answer, in milliseconds.
        #[arg(long)]
        timeout_ms: Option<u64>,
    },
    /// Print a slot's screen.
    Screen {
        /// The slot's id.
        slot: String,
    },
    /// Answer a slot's open dialog: yes, no, always, an option number, an option's
    /// label, or (with --text) your own answer to a question.
    Confirm {
        /// The slot's id.
        slot: String,
        /// yes | no | always | N | an option's label
        #[arg(required_unless_present = "text")]
        response: Option<String>,
        /// Answer a question in your own words (its free-text option).
        #[arg(long, conflicts_with = "response")]
        text: Option<String>,
    },
    /// Stop a slot's Claude Code.
    Kill {
        /// The slot's id.
        slot: String,
    },
    /// Interrupt a slot's current turn (Esc for Claude Code).
    Interrupt {
        /// The slot's id.
        slot: String,
    },
    /// A slot's recent turns: prompt, answer, tools used, times.
    History {
        /// The slot's id.
        slot: String,
        /// How many of the latest turns.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// A slot's terminal log as a person saw it: every line that left the screen, then
    /// the last screen (each redraw once). `--raw` prints the bytes as written.
    Logs {
        /// The slot's id.
        slot: String,
        /// How many bytes from the end (default: up to 1 MiB).
        #[arg(long)]
        tail_bytes: Option<u64>,
        /// The output bytes as written, terminal control sequences included.
        #[arg(long)]
        raw: bool,
    },
    /// Stop the daemon: its slots are ended, its store closed, its socket removed.
    Stop,
    /// Read slots.yaml again now (the daemon also does when the file changes).
    Reload,
    /// Print the URL of the board (a page for the browser), with the web token.
    Board {
        /// The read-only URL instead: whoever opens it sees the board and can act on
        /// nothing (the daemon refuses every action made with its token).
        #[arg(long)]
        view: bool,
    },
    /// List every mission_* tool the daemon serves (the same catalogue mission-mcp offers).
    Tools,
    /// Call any mission_* tool with JSON arguments and print its JSON result, e.g.
    /// `missiond call mission_pty_status '{"slotId":"coder-1"}'`.
    Call {
        /// The tool's name (see `missiond tools`).
        tool: String,
        /// Its arguments as a JSON object (default `{}`).
        #[arg(default_value = "{}")]
        args: String,
    },
    /// A slot's git worktree (`workspace:` in slots.yaml): review, commit, merge.
    Workspace {
        #[command(subcommand)]
        action: workspace::WorkspaceAction,
    },
    /// Used by Claude Code hooks: forwards the event on stdin to the daemon; for
    /// `PreToolUse`, prints the daemon's permission decision (fail closed).
    #[command(hide = true)]
    Hook {
        /// The hook event (`Stop`, `PreToolUse`, ...).
        event: String,
    },
}

/// Run a client command; returns the exit code. With `json`, results and errors are
/// printed as JSON on stdout.
pub fn run(command: ClientCommand, json: bool) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    if let ClientCommand::Hook { event } = command {
        // Never fail a hook: Claude Code would show the error to the agent.
        runtime.block_on(hook::forward(&event));
        return Ok(0);
    }
    let result = runtime.block_on(run_client(command, Out { json }));
    if json && let Err(e) = &result {
        let error = match e.downcast_ref::<CliError>() {
            Some(cli) => cli.to_json(),
            None => serde_json::json!({"error": {"kind": "error", "message": format!("{e:#}")}}),
        };
        out::json(&error)?;
    }
    result
}

/// `value` as pretty JSON on stdout (for `--json` outside the client commands).
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<()> {
    out::json(value)
}

/// What a command needs to reach the daemon, and to word its errors.
struct Conn {
    client: IpcClient,
    paths: Paths,
}

impl Conn {
    fn error(&self, e: ClientError) -> anyhow::Error {
        anyhow::Error::new(errors::client_error(
            e,
            &self.paths.ipc_endpoint,
            &self.paths.home.display().to_string(),
        ))
    }

    async fn tool<T: cat::Tool>(&self, params: &T::Params) -> Result<T::Output> {
        self.client
            .tool::<T>(params)
            .await
            .map_err(|e| self.error(e))
    }
}

async fn connect(paths: Paths) -> Result<Conn> {
    match IpcClient::connect(&paths.ipc_endpoint).await {
        Ok(client) => Ok(Conn { client, paths }),
        Err(e) => Err(anyhow::Error::new(errors::client_error(
            e,
            &paths.ipc_endpoint,
            &paths.home.display().to_string(),
        ))),
    }
}

async fn run_client(command: ClientCommand, out: Out) -> Result<i32> {
    if let ClientCommand::Tools = command {
        out.show(&cat::all(), |tools| print::tools(tools))?;
        return Ok(0);
    }
    let paths = Paths::from_env()?;
    if let ClientCommand::Stop = command {
        return stop::run(paths, out).await;
    }
    let mut conn = connect(paths).await?;
    // One command, one request: every call it makes is traced under one id.
    conn.client = conn
        .client
        .with_request_id(&missiond_core::jarvis::request_id::mint("cli"));
    let slot = |s: &str| SlotParams {
        slot_id: s.to_string(),
    };
    match command {
        ClientCommand::Status => {
            let health = conn.tool::<cat::Health>(&EmptyParams {}).await?;
            let agents = conn.tool::<cat::Agents>(&EmptyParams {}).await?;
            let both = serde_json::json!({"health": health, "agents": agents.agents});
            out.show(&both, |_| print::status(&health, &agents))?;
        }
        ClientCommand::Slots => {
            let slots = conn.tool::<cat::Slots>(&EmptyParams {}).await?;
            out.show(&slots, print::slots)?;
        }
        ClientCommand::Spawn { slot: id } => {
            let r = conn.tool::<cat::PtySpawn>(&slot(&id)).await?;
            out.show(&r, print::spawned)?;
        }
        ClientCommand::Send {
            slot: id,
            text,
            timeout_ms,
        } => {
            let params = PtySendParams {
                slot_id: id.clone(),
                message: text,
                timeout_ms,
            };
            let r = conn.tool::<cat::PtySend>(&params).await?;
            out.show(&r, |r| print::sent(&id, r))?;
        }
        ClientCommand::Screen { slot: id } => {
            let params = PtyScreenParams {
                slot_id: id,
                lines: None,
            };
            let r = conn.tool::<cat::PtyScreen>(&params).await?;
            out.show(&r, |r| {
                out::body(&r.screen);
                eprintln!("[{}]", r.state);
            })?;
        }
        ClientCommand::Confirm {
            slot: id,
            response,
            text,
        } => {
            // A word that is no response keyword or number is an option's label.
            let (response, label) = match response {
                Some(word) => match serde_json::from_value::<ConfirmResponse>(
                    serde_json::Value::from(word.as_str()),
                ) {
                    Ok(r) => (Some(r), None),
                    Err(_) => (None, Some(word)),
                },
                None => (None, None),
            };
            let params = PtyConfirmParams {
                slot_id: id,
                response,
                label,
                text,
            };
            let r = conn.tool::<cat::PtyConfirm>(&params).await?;
            out.show(&r, |r| {
                println!("chose: {} (now {})", r.chosen.label, r.state)
            })?;
        }
        ClientCommand::Kill { slot: id } => {
            let r = conn.tool::<cat::PtyKill>(&slot(&id)).await?;
            out.show(&r, print::killed)?;
        }
        ClientCommand::Interrupt { slot: id } => {
            let r = conn.tool::<cat::PtyInterrupt>(&slot(&id)).await?;
            out.show(&r, |r| {
                println!("{}: interrupted, now {}", r.slot_id, r.state)
            })?;
        }
        ClientCommand::History { slot: id, limit } => {
            let params = PtyHistoryParams { slot_id: id, limit };
            let r = conn.tool::<cat::PtyHistory>(&params).await?;
            out.show(&r, print::history)?;
        }
        ClientCommand::Logs {
            slot: id,
            tail_bytes,
            raw,
        } => {
            let params = PtyLogsParams {
                slot_id: id,
                tail_bytes: Some(tail_bytes.unwrap_or(cat::LOGS_TAIL_MAX_BYTES)),
                raw,
            };
            let r = conn.tool::<cat::PtyLogs>(&params).await?;
            out.show(&r, |r| print::logs(r, raw))?;
        }
        ClientCommand::Reload => {
            let r = conn.tool::<cat::Reload>(&EmptyParams {}).await?;
            out.show(&r, print::reloaded)?;
            if r.error.is_some() {
                return Ok(1);
            }
        }
        ClientCommand::Call { tool, args } => {
            if cat::find(&tool).is_none() {
                anyhow::bail!("unknown tool {tool:?}: `missiond tools` lists them");
            }
            let args: serde_json::Value = serde_json::from_str(&args)
                .with_context(|| format!("arguments for {tool} must be a JSON object"))?;
            let result = conn
                .client
                .call(&tool, args)
                .await
                .map_err(|e| conn.error(e))?;
            out::json(&result)?;
        }
        ClientCommand::Workspace { action } => {
            return workspace::run(&conn, action, out).await;
        }
        ClientCommand::Board { view } => {
            let url = board::url(&conn.client, view).await?;
            out.show(&serde_json::json!({ "url": url }), |_| println!("{url}"))?;
        }
        ClientCommand::Tools | ClientCommand::Stop | ClientCommand::Hook { .. } => {
            unreachable!("handled before connecting")
        }
    }
    Ok(0)
}
