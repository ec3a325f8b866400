//! IPC dispatch: method name (= tool name) to handler, params decoded with the
//! catalogue's types, results encoded the same way. Bad input becomes an error reply;
//! nothing a client sends can stop the daemon.

use std::sync::Arc;

use missiond_core::catalogue::{
    self as cat, AgentInfo, AgentsResult, HealthResult, SlotsResult, Tool,
};
use missiond_core::ipc::{Handler, RpcError, STOP_METHOD, WEB_ACCESS_METHOD};
use serde_json::Value;

use super::dispatch::Dispatcher;
use super::hooks::{HOOK_METHOD, HookEvent};
use super::sandbox::Support;
use super::supervisor::Supervisor;
use super::{hook_decision, lifecycle, permission_tools, pty_tools, slot_turns};
use missiond_core::config::slots::Isolation;

/// The daemon's IPC handler.
pub struct Handlers {
    sup: Arc<Supervisor>,
    dispatch: Arc<Dispatcher>,
}

use missiond_core::catalogue::encode;

impl Handlers {
    /// Handlers over `sup`'s slots and the task dispatcher.
    pub fn new(sup: Arc<Supervisor>, dispatch: Arc<Dispatcher>) -> Self {
        Handlers { sup, dispatch }
    }

    /// The role of slot `id`, if it is configured.
    pub fn slot_role(&self, id: &str) -> Option<String> {
        self.sup.get(id).ok().map(|s| s.spec.config.role.clone())
    }

    async fn dispatch(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let sup = &self.sup;
        match method {
            cat::PtySpawn::NAME => {
                let p = cat::PtySpawn::params(params)?;
                encode(pty_tools::spawn(&sup.get(&p.slot_id)?).await?)
            }
            cat::PtySend::NAME => {
                let p = cat::PtySend::params(params)?;
                let slot = sup.get(&p.slot_id)?.clone();
                encode(pty_tools::send(&slot, p).await?)
            }
            cat::PtyScreen::NAME => {
                let p = cat::PtyScreen::params(params)?;
                encode(pty_tools::screen(&*sup.get(&p.slot_id)?, &p)?)
            }
            cat::PtyScreenshot::NAME => {
                let p = cat::PtyScreenshot::params(params)?;
                let slot = sup.get(&p.slot_id)?.clone();
                encode(pty_tools::screenshot(&slot, &p).await?)
            }
            cat::PtyConfirm::NAME => {
                let p = cat::PtyConfirm::params(params)?;
                let slot = sup.get(&p.slot_id)?.clone();
                encode(pty_tools::confirm(&slot, p).await?)
            }
            cat::PtyInterrupt::NAME => {
                let p = cat::PtyInterrupt::params(params)?;
                encode(pty_tools::interrupt(&*sup.get(&p.slot_id)?).await?)
            }
            cat::PtyKill::NAME => {
                let p = cat::PtyKill::params(params)?;
                encode(pty_tools::kill(&*sup.get(&p.slot_id)?).await?)
            }
            cat::PtyStatus::NAME => {
                let p = cat::PtyStatus::params(params)?;
                encode(pty_tools::status(&*sup.get(&p.slot_id)?))
            }
            cat::PtyHistory::NAME => {
                let p = cat::PtyHistory::params(params)?;
                encode(pty_tools::history(&*sup.get(&p.slot_id)?, &p)?)
            }
            cat::PtyLogs::NAME => {
                let p = cat::PtyLogs::params(params)?;
                let slot = sup.get(&p.slot_id)?;
                // Rendering a long log takes a while: not on the IPC threads.
                let logs = tokio::task::spawn_blocking(move || pty_tools::logs(&slot, &p))
                    .await
                    .map_err(|e| RpcError::internal(format!("rendering the log: {e}")))??;
                encode(logs)
            }
            cat::Slots::NAME => {
                cat::Slots::params(params)?;
                encode(SlotsResult {
                    slots: sup.slots().map(|s| s.spec.config.info()).collect(),
                    config_error: sup.config_error(),
                })
            }
            cat::Reload::NAME => {
                cat::Reload::params(params)?;
                let path = sup.ctx.slots_config.clone();
                encode(super::reload::reload(sup, &path).await)
            }
            STOP_METHOD => {
                cat::decode_params::<cat::EmptyParams>(params)?;
                sup.ctx.request_stop();
                Ok(serde_json::json!({ "pid": std::process::id() }))
            }
            cat::Agents::NAME => {
                cat::Agents::params(params)?;
                encode(self.agents())
            }
            cat::Health::NAME => {
                cat::Health::params(params)?;
                encode(self.health())
            }
            // Internal, like the hook relay: the web server's address and token, for
            // orchestrator clients (attach, board). Slots' own endpoints do not serve it.
            WEB_ACCESS_METHOD => {
                cat::decode_params::<cat::EmptyParams>(params)?;
                encode(super::web::access(sup))
            }
            HOOK_METHOD => {
                let event: HookEvent = cat::decode_params(params)?;
                let slot = &*sup.get(&event.slot)?;
                let _cause = super::jarvis::hook_span(&event.slot, &event.event).entered();
                slot_turns::on_hook(slot, &event);
                lifecycle::on_hook(slot);
                if event.event == "PreToolUse" {
                    let answer = hook_decision::answer(slot, &event);
                    tracing::info!(
                        tool = event.field("tool_name").unwrap_or_default(),
                        decision = answer.decision.as_deref().unwrap_or("defer"),
                        reason = %answer.reason,
                        "permission decision"
                    );
                    return encode(answer);
                }
                if event.event == "UserPromptSubmit" {
                    let store = sup.ctx.records.store();
                    return Ok(super::memory_inject::on_prompt(
                        &sup.ctx.home,
                        store,
                        slot,
                        &event,
                    ));
                }
                Ok(Value::Object(Default::default()))
            }
            cat::PermissionGet::NAME => {
                cat::PermissionGet::params(params)?;
                encode(permission_tools::get(&sup.ctx.permissions)?)
            }
            cat::PermissionSetRole::NAME => {
                let p = cat::PermissionSetRole::params(params)?;
                encode(permission_tools::set_role(&sup.ctx.permissions, p)?)
            }
            cat::PermissionSetSlot::NAME => {
                let p = cat::PermissionSetSlot::params(params)?;
                let known = |id: &str| sup.get(id).is_ok();
                encode(permission_tools::set_slot(&sup.ctx.permissions, p, known)?)
            }
            cat::PermissionAddAutoAllow::NAME => {
                let p = cat::PermissionAddAutoAllow::params(params)?;
                encode(permission_tools::add_auto_allow(&sup.ctx.permissions, p)?)
            }
            cat::PermissionReload::NAME => {
                cat::PermissionReload::params(params)?;
                encode(permission_tools::reload(&sup.ctx.permissions)?)
            }
            cat::AutonomousStart::NAME => {
                let p = cat::AutonomousStart::params(params)?;
                encode(super::autonomy::start(sup, p)?)
            }
            cat::AutonomousStop::NAME => {
                let p = cat::AutonomousStop::params(params)?;
                encode(super::autonomy::stop(&sup.get(&p.slot_id)?))
            }
            cat::Report::NAME => {
                let p = cat::Report::params(params)?;
                encode(super::autonomy::report(sup, p)?)
            }
            other => {
                if let Some(answer) = super::kb_ipc::handle(sup, other, &params)
                    .or_else(|| super::conversation_ipc::handle(sup, other, &params))
                    .or_else(|| super::question_ipc::handle(sup, other, &params))
                    .or_else(|| super::board_ipc::handle(sup, other, &params))
                    .or_else(|| super::memory_ipc::handle(sup, other, &params))
                {
                    return answer;
                }
                if let Some(answer) = super::infra_ipc::handle(sup, other, &params).await {
                    return answer;
                }
                if let Some(answer) = super::skill_ipc::handle(sup, other, &params).await {
                    return answer;
                }
                if let Some(answer) = super::workspace_ipc::handle(sup, other, &params).await {
                    return answer;
                }
                if let Some(answer) = super::router_ipc::handle(sup, other, &params).await {
                    return answer;
                }
                if let Some(answer) = super::kb_upkeep_ipc::handle(sup, other, &params).await {
                    return answer;
                }
                if let Some(answer) = super::jarvis::tools::handle(other, &params).await {
                    return answer;
                }
                if let Some(answer) = super::cc_ipc::handle(sup, &self.dispatch, other, &params) {
                    return answer;
                }
                super::task_ipc::handle(&self.dispatch, other, params)
                    .await
                    .unwrap_or_else(|| Err(RpcError::method_not_found(other)))
            }
        }
    }

    fn agents(&self) -> AgentsResult {
        let agents = self
            .sup
            .slots()
            .map(|slot| {
                let (state, since) = pty_tools::slot_state(&slot);
                let inner = slot.lock();
                let run = inner.run.as_ref();
                AgentInfo {
                    slot_id: slot.spec.id.clone(),
                    role: slot.spec.config.role.clone(),
                    state,
                    since: since.map(pty_tools::rfc3339),
                    pid: run.filter(|r| r.is_alive()).and_then(|r| r.pid()),
                    host: slot.spec.config.host.clone(),
                    session_id: run.and_then(|r| r.session_id.clone()),
                    sandboxed: run
                        .filter(|r| r.is_alive())
                        .map(|r| r.sandboxed || r.pty.remote_sandboxed()),
                }
            })
            .collect();
        AgentsResult { agents }
    }

    fn health(&self) -> HealthResult {
        let ctx = &self.sup.ctx;
        let running = self
            .sup
            .slots()
            .filter(|s| s.lock().run.as_ref().is_some_and(|r| r.is_alive()))
            .count();
        let mut warnings = Vec::new();
        let config_error = self.sup.config_error();
        if let Some(e) = &config_error {
            warnings.push(e.clone());
        }
        if let Some(e) = ctx.permissions.error() {
            warnings.push(format!("permissions: {e}"));
        }
        if let Some(e) = ctx.records.last_error() {
            warnings.push(format!("store: {e}"));
        }
        if let Some(e) = ctx.web_error.get() {
            warnings.push(e.clone());
        }
        warnings.extend(super::jarvis::problem().map(str::to_string));
        warnings.extend(self.isolation_warnings());
        if self.sup.slots().any(|s| s.spec.claude)
            && super::mcp_config::mission_mcp(&ctx.exe).is_none()
        {
            warnings.push(format!(
                "mission-mcp is neither beside {} nor on PATH: Claude Code slots start \
                 without their agent tools (mission_report, mission_question_create, \
                 mission_kb_*); build it (cargo build --release -p missiond-mcp) or set {}",
                ctx.exe.display(),
                super::mcp_config::ENV_MCP_BIN
            ));
        }
        warnings.extend(self.sup.slots().filter_map(|s| {
            s.lock()
                .run
                .as_ref()
                .and_then(|r| r.log.as_ref())
                .and_then(|l| l.problem())
        }));
        let rules = super::rules_override::in_force(&ctx.home);
        if let Some(e) = &rules.error {
            warnings.push(e.clone());
        }
        HealthResult {
            ok: warnings.is_empty(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            pid: std::process::id(),
            uptime_secs: ctx.started_at.elapsed().map(|d| d.as_secs()).unwrap_or(0),
            home: ctx.home.display().to_string(),
            endpoint: ctx.endpoint.clone(),
            db_path: ctx.records.path().display().to_string(),
            web_url: ctx.web_addr.get().map(|a| format!("ws://{a}")),
            slots_configured: self.sup.slots().count() as u32,
            slots_running: running as u32,
            warnings,
            config_error,
            started_by: ctx.started_by.clone(),
            screen_rules: Some(rules.source.clone()),
            parser_disagreements: Some(
                self.sup
                    .slots()
                    .filter_map(|s| s.lock().run.as_ref().map(|r| r.merge.disagreements()))
                    .sum(),
            ),
            sandbox: Some(match &ctx.sandbox {
                Support::Available(bwrap) => format!("bubblewrap ({})", bwrap.display()),
                Support::Unavailable(why) => format!("unavailable: {why}"),
            }),
            hosts: super::remote::health::snapshot(),
        }
    }

    /// What health must say about slots whose processes are not kept from the daemon.
    fn isolation_warnings(&self) -> Vec<String> {
        let ctx = &self.sup.ctx;
        let mut warnings = Vec::new();
        let slots: Vec<_> = self.sup.slots().collect();
        let unboxed: Vec<&str> = slots
            .iter()
            .filter(|s| s.spec.config.isolation == Isolation::None)
            .map(|s| s.spec.id.as_str())
            .collect();
        if !unboxed.is_empty() {
            warnings.push(format!(
                "slots without a sandbox (isolation: none): {}; their processes can reach \
                 the daemon's socket, rules and database and act as any slot",
                unboxed.join(", ")
            ));
        }
        if let Support::Unavailable(why) = &ctx.sandbox {
            // (A remote slot's sandbox is its host's: see below.)
            let auto: Vec<&str> = slots
                .iter()
                .filter(|s| s.spec.config.isolation == Isolation::Auto)
                .filter(|s| s.spec.config.host.is_none())
                .map(|s| s.spec.id.as_str())
                .collect();
            if !auto.is_empty() {
                warnings.push(format!(
                    "slots run without a sandbox because {why}: {}; their processes can \
                     reach the daemon's socket, rules and database",
                    auto.join(", ")
                ));
            }
        }
        // `auto` on a host without bubblewrap runs the program unsandboxed there: it can
        // reach the runner's files of every slot on that host.
        let remote_unboxed: Vec<String> = slots
            .iter()
            .filter(|s| s.spec.config.isolation == Isolation::Auto)
            .filter_map(|s| {
                let host = s.spec.config.host.as_deref()?;
                let inner = s.lock();
                let run = inner.run.as_ref().filter(|r| r.is_alive())?;
                // Known only once the runner said the program started (its pid with it):
                // a slot still connecting, or whose host is down, is not counted.
                run.pty.remote_pid()?;
                (!run.pty.remote_sandboxed()).then(|| format!("{} (on {host})", s.spec.id))
            })
            .collect();
        if !remote_unboxed.is_empty() {
            warnings.push(format!(
                "remote slots run without a sandbox because their host has no bubblewrap: {}; \
                 their processes can reach the runner's files on that host",
                remote_unboxed.join(", ")
            ));
        }
        for id in slots.iter().map(|s| s.spec.id.as_str()) {
            if let Some(why) = ctx.endpoint_error(id) {
                warnings.push(format!(
                    "slot `{id}` cannot start: no endpoint of its own: {why}"
                ));
            }
        }
        if ctx.sandbox.bwrap().is_some() {
            let outside = ctx
                .daemon_files
                .iter()
                .filter(|f| !f.starts_with(&ctx.home));
            for file in outside.filter(|f| f.exists()) {
                warnings.push(format!(
                    "{} lies outside MISSIOND_HOME: slots are kept from it only while it \
                     exists, not from the folder that holds it",
                    file.display()
                ));
            }
        }
        warnings
    }
}

impl Handler for Handlers {
    async fn handle(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        // No secret is stored or shown in clear (see `tool_scrub`).
        let params = super::tool_scrub::params(method, params);
        let span = super::jarvis::call_span(method, &params);
        let started = std::time::Instant::now();
        let outcome = tracing::Instrument::instrument(
            async { super::tool_scrub::result(method, self.dispatch(method, params).await) },
            span.clone(),
        )
        .await;
        span.in_scope(|| super::jarvis::call_done(method, started, &outcome));
        outcome
    }
}
