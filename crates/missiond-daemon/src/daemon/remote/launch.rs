//! What a remote slot's runner starts: the slot's command, arguments and environment as
//! for a local slot, with the pieces that name files of this machine replaced by files
//! the runner writes on the host (Claude Code's hook settings, the permissions file).
//! The slot's `isolation` travels with it: the runner starts the program under
//! bubblewrap on the host with the local sandbox's policy (see `runner::contain`), and
//! [`prepare`] refuses a slot that requires a sandbox on a host that cannot make one.
//! The runner is the slot's only door back to the daemon.

use missiond_core::config::slots::{Isolation, SlotConfig};
use missiond_core::remote::frame::SpawnSpec;
use missiond_core::secrets::ResolvedEnv;

use super::super::slot::{DAEMON_ONLY_ENV, FULLSCREEN_ENV, INHERITED_CLAUDE_ENV};

/// `{slot_dir}` in args, env and files: the slot's folder on the host.
const SLOT_DIR: &str = "{slot_dir}";

/// The spawn request for one run of a remote slot.
pub fn spawn_spec(
    config: &SlotConfig,
    claude: bool,
    session_id: Option<&str>,
    resolved: &ResolvedEnv,
    run_id: &str,
    permissions: Option<String>,
    agent_tools: bool,
) -> anyhow::Result<SpawnSpec> {
    let mut args = config.args.clone();
    let mut env = vec![
        ("TERM".to_string(), "xterm-256color".to_string()),
        ("COLORTERM".to_string(), "truecolor".to_string()),
    ];
    if claude {
        env.push((FULLSCREEN_ENV.to_string(), "1".to_string()));
    }
    env.extend(
        resolved
            .exposed()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    env.push((super::super::hooks::SLOT_ENV.to_string(), config.id.clone()));
    env.push((
        super::super::orphans::RUN_ENV.to_string(),
        run_id.to_string(),
    ));
    let mut files = Vec::new();
    if let Some(session_id) = session_id {
        let settings =
            super::super::hooks::remote_settings_json(&config.id, &config.role, SLOT_DIR);
        files.push((
            "settings.json".to_string(),
            serde_json::to_string_pretty(&settings)?,
        ));
        // Without the daemon's rules the hook would have nothing to fail closed on.
        files.push((
            "permissions.yaml".to_string(),
            permissions.unwrap_or_default(),
        ));
        // The agent tools, as for a local slot: mission-mcp beside the runner (copied
        // with it), reaching the slot's socket on the host, which the runner forwards
        // to this slot's own endpoint here.
        if agent_tools {
            let mcp =
                std::path::PathBuf::from(format!("{{bin_dir}}/{}", crate::runner::mcp_file_name()));
            let endpoint = format!("{SLOT_DIR}/{}", super::super::agent_endpoint::SOCKET_NAME);
            let mcp_json =
                super::super::mcp_config::config_json(&mcp, &config.id, &config.role, &endpoint);
            files.push((
                "mcp.json".to_string(),
                serde_json::to_string_pretty(&mcp_json)?,
            ));
            args.extend([
                "--mcp-config".to_string(),
                format!("{SLOT_DIR}/mcp.json"),
                "--allowedTools".to_string(),
                super::super::mcp_config::allowed_tools(&config.role),
            ]);
        }
        args.extend([
            "--session-id".to_string(),
            session_id.to_string(),
            "--permission-mode".to_string(),
            config.permission_mode.as_str().to_string(),
            "--settings".to_string(),
            format!("{SLOT_DIR}/settings.json"),
        ]);
    }
    let mut env_remove: Vec<String> = INHERITED_CLAUDE_ENV.iter().map(|s| s.to_string()).collect();
    env_remove.extend(DAEMON_ONLY_ENV.iter().map(|s| s.to_string()));
    Ok(SpawnSpec {
        program: config.command.clone(),
        args,
        cwd: config.cwd.to_string_lossy().into_owned(),
        env,
        env_remove,
        cols: config.cols,
        rows: config.rows,
        files,
        detached_timeout_secs: super::detached_secs(),
        isolation: config.isolation,
    })
}

/// Starts `slot`'s program on `host`: the link connects (and copies the runner) in the
/// background; the slot reads Unknown until it is up.
pub fn start(
    slot: &std::sync::Arc<super::super::slot::Slot>,
    host: &str,
    session_id: Option<&str>,
    resolved: &ResolvedEnv,
    run_id: &str,
) -> anyhow::Result<(super::link::RemoteProcess, super::super::pty::PtyStreams)> {
    let ctx = &slot.ctx;
    let dest = super::ssh::parse(host).map_err(|e| anyhow::anyhow!("host: {e}"))?;
    if let Some(why) = ctx.endpoint_error(&slot.spec.id) {
        anyhow::bail!("it has no endpoint of its own: {why}");
    }
    let permissions = std::fs::read_to_string(ctx.permissions.path()).ok();
    let spec = spawn_spec(
        &slot.spec.config,
        slot.spec.claude,
        session_id,
        resolved,
        run_id,
        permissions,
        // mission-mcp goes to the host with the runner when this daemon has one.
        super::super::mcp_config::mission_mcp(&ctx.exe).is_some(),
    )?;
    let mirror = match session_id {
        Some(session) => Some(
            super::mirror::Mirror::create(&ctx.home, &slot.spec.id, session)
                .map_err(|e| anyhow::anyhow!("preparing the copy of its transcript: {e}"))?,
        ),
        None => None,
    };
    let weak = std::sync::Arc::downgrade(slot);
    let params = super::link::LinkParams {
        slot: slot.spec.id.clone(),
        host: host.to_string(),
        dest,
        control_dir: super::ssh::control_dir(&ctx.run_dir),
        agent_endpoint: super::super::agent_endpoint::slot_dir(&ctx.run_dir, &slot.spec.id)
            .join(super::super::agent_endpoint::SOCKET_NAME),
        run_id: run_id.to_string(),
        spec,
        mirror,
        on_change: std::sync::Arc::new(move || {
            if let Some(slot) = weak.upgrade() {
                slot.notify();
            }
        }),
    };
    Ok(super::link::start(params))
}

/// Checks that `host` is reachable and has the runner (copying it when needed), before
/// a start: the caller gets ssh's diagnosis as a `spawn_failed` error.
pub async fn prepare(
    slot: &super::super::slot::Slot,
    host: &str,
) -> Result<(), missiond_core::ipc::RpcError> {
    let fail = |what: String| {
        missiond_core::ipc::RpcError::new(
            missiond_core::ipc::ErrorCode::SpawnFailed,
            format!("slot `{}`: {what}", slot.spec.id),
        )
        .with_data(serde_json::json!({"slotId": slot.spec.id, "host": host}))
    };
    let dest = super::ssh::parse(host).map_err(|e| fail(format!("host: {e}")))?;
    let control_dir = super::ssh::control_dir(&slot.ctx.run_dir);
    let runner = super::install::ensure(host, &dest, &control_dir)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let isolation = slot.spec.config.isolation;
    if isolation == Isolation::None {
        return Ok(());
    }
    match super::install::probe_sandbox(host, &dest, &control_dir, &runner).await {
        Ok(()) => Ok(()),
        Err(why) if isolation == Isolation::Sandbox => Err(fail(format!(
            "it requires a sandbox (isolation: sandbox) and host `{host}` cannot make one: \
             {why}; install bubblewrap there, or set isolation: none"
        ))),
        Err(why) => {
            tracing::warn!(slot = %slot.spec.id, host,
                "isolation: auto, and the host cannot make a sandbox ({why}): running without");
            Ok(())
        }
    }
}
