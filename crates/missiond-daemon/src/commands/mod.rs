//! The client side of the command line: thin commands over the daemon's IPC, for people
//! (`missiond status`, `send`, ...) and for Claude Code's hooks (`missiond hook`).

mod board;
pub mod daemon_logs;
mod hook;
mod print;

use anyhow::{Context, Result};
use clap::Subcommand;
use missiond_core::catalogue::{
    self as cat, ConfirmResponse, EmptyParams, PtyConfirmParams, PtyHistoryParams, PtyLogsParams,
    PtyScreenParams, PtySendParams, SlotParams,
};
use missiond_core::ipc::{ClientError, IpcClient};

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
    /// The end of a slot's terminal log, as plain text.
    Logs {
        /// The slot's id.
        slot: String,
        /// How many bytes from the end.
        #[arg(long)]
        tail_bytes: Option<u64>,
    },
    /// Print the URL of the board (a page for the browser), with the web token.
    Board,
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
    /// Used by Claude Code hooks: forwards the event on stdin to the daemon; for
    /// `PreToolUse`, prints the daemon's permission decision (fail closed).
    #[command(hide = true)]
    Hook {
        /// The hook event (`Stop`, `PreToolUse`, ...).
        event: String,
    },
}

/// Run a client command; returns the exit code.
pub fn run(command: ClientCommand) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    if let ClientCommand::Hook { event } = command {
        // Never fail a hook: Claude Code would show the error to the agent.
        runtime.block_on(hook::forward(&event));
        return Ok(0);
    }
    runtime.block_on(run_client(command))
}

/// One line for a person: the daemon's message without its error chain repeated.
fn flat(e: ClientError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn run_client(command: ClientCommand) -> Result<i32> {
    if let ClientCommand::Tools = command {
        print::tools(cat::all());
        return Ok(0);
    }
    let paths = Paths::from_env()?;
    let client = IpcClient::connect(&paths.ipc_endpoint)
        .await
        .with_context(|| format!("connecting to missiond at {}", paths.ipc_endpoint))?
        // One command, one request: every call it makes is traced under one id.
        .with_request_id(&missiond_core::jarvis::request_id::mint("cli"));
    let slot = |s: &str| SlotParams {
        slot_id: s.to_string(),
    };
    match command {
        ClientCommand::Status => {
            let health = client
                .tool::<cat::Health>(&EmptyParams {})
                .await
                .map_err(flat)?;
            let agents = client
                .tool::<cat::Agents>(&EmptyParams {})
                .await
                .map_err(flat)?;
            print::status(&health, &agents);
        }
        ClientCommand::Slots => {
            let slots = client
                .tool::<cat::Slots>(&EmptyParams {})
                .await
                .map_err(flat)?;
            print::slots(&slots);
        }
        ClientCommand::Spawn { slot: id } => {
            let r = client
                .tool::<cat::PtySpawn>(&slot(&id))
                .await
                .map_err(flat)?;
            print::spawned(&r);
        }
        ClientCommand::Send {
            slot: id,
            text,
            timeout_ms,
        } => {
            let params = PtySendParams {
                slot_id: id,
                message: text,
                timeout_ms,
            };
            let r = client.tool::<cat::PtySend>(&params).await.map_err(flat)?;
            print::sent(&r);
        }
        ClientCommand::Screen { slot: id } => {
            let params = PtyScreenParams {
                slot_id: id,
                lines: None,
            };
            let r = client.tool::<cat::PtyScreen>(&params).await.map_err(flat)?;
            println!("{}", r.screen);
            eprintln!("[{}]", r.state);
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
            let r = client
                .tool::<cat::PtyConfirm>(&params)
                .await
                .map_err(flat)?;
            println!("chose: {} (now {})", r.chosen.label, r.state);
        }
        ClientCommand::Kill { slot: id } => {
            let r = client
                .tool::<cat::PtyKill>(&slot(&id))
                .await
                .map_err(flat)?;
            if r.was_running {
                println!("{}: stopped (exit code {:?})", r.slot_id, r.exit_code);
            } else {
                println!("{}: was not running", r.slot_id);
            }
        }
        ClientCommand::Interrupt { slot: id } => {
            let r = client
                .tool::<cat::PtyInterrupt>(&slot(&id))
                .await
                .map_err(flat)?;
            println!("{}: {}", r.slot_id, r.state);
        }
        ClientCommand::History { slot: id, limit } => {
            let params = PtyHistoryParams { slot_id: id, limit };
            let r = client
                .tool::<cat::PtyHistory>(&params)
                .await
                .map_err(flat)?;
            print::history(&r);
        }
        ClientCommand::Logs {
            slot: id,
            tail_bytes,
        } => {
            let params = PtyLogsParams {
                slot_id: id,
                tail_bytes,
            };
            let r = client.tool::<cat::PtyLogs>(&params).await.map_err(flat)?;
            println!("{}", r.text);
            eprintln!(
                "[{}: {} of {} bytes]",
                r.path,
                if r.truncated { "end" } else { "all" },
                r.total_bytes
            );
        }
        ClientCommand::Call { tool, args } => {
            if cat::find(&tool).is_none() {
                anyhow::bail!("unknown tool {tool:?}: `missiond tools` lists them");
            }
            let args: serde_json::Value = serde_json::from_str(&args)
                .with_context(|| format!("arguments for {tool} must be a JSON object"))?;
            let result = client.call(&tool, args).await.map_err(flat)?;
            println!("{}", serde_json::to_string_pretty(&result)?);
        }
        ClientCommand::Board => println!("{}", board::url(&client).await?),
        ClientCommand::Tools => unreachable!("handled before connecting"),
        ClientCommand::Hook { .. } => unreachable!("handled before connecting"),
    }
    Ok(0)
}
