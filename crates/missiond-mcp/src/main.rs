//! `mission-mcp`: the MCP server (stdio) for missiond. See the library docs.

use anyhow::Context;
use missiond_core::paths::Paths;

fn main() -> anyhow::Result<()> {
    let paths = Paths::from_env().context("reading missiond's environment")?;
    missiond_mcp::init_logging(&paths.log_level);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(missiond_mcp::run(paths))
}
