//! A scripted Anthropic Messages API server.
//!
//! Claude Code talks to whatever `ANTHROPIC_BASE_URL` names; this server answers it from a
//! YAML [`Scenario`] so tests and demos run the real Claude Code with no network. Start it
//! in-process with [`Server::start`], or run the `mock-anthropic` binary. The [`offline`]
//! module sets up a Claude Code process to use it. The scenario format is documented in
//! the crate's README.md.
//!
//! ```no_run
//! let scenario = mock_anthropic::Scenario::from_yaml(
//!     "rules:\n  - match: { contains: hello }\n    steps: [{ text: \"Hi there.\" }]\n",
//! )?;
//! let server = mock_anthropic::Server::start(scenario)?;
//! println!("ANTHROPIC_BASE_URL={}", server.base_url());
//! // ... run Claude Code, then look at what it sent:
//! for request in server.requests() {
//!     println!("{} {}", request.path, request.last_user_text);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod engine;
mod http;
pub mod log;
pub mod offline;
mod openai;
pub mod request;
pub mod response;
pub mod scenario;
pub mod server;

pub use engine::Answer;
pub use log::LoggedRequest;
pub use request::ToolResult;
pub use scenario::{Scenario, ScenarioError, Step};
pub use server::{Server, ServerConfig, ServerError};
