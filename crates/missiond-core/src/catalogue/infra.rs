//! Infrastructure tools: the servers and services of `infra.yaml`, their reachability,
//! and the health of the machine the daemon runs on.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, EmptyParams, Tool, ToolDef};

/// Default time one reachability probe may take.
pub const PROBE_TIMEOUT_DEFAULT_MS: u64 = 5_000;
/// Shortest and longest time one probe may be given.
pub const PROBE_TIMEOUT_RANGE_MS: (u64, u64) = (50, 60_000);

/// `mission_infra_list`.
pub struct InfraList;
/// `mission_infra_get`.
pub struct InfraGet;
/// `mission_reachability`.
pub struct Reachability;
/// `mission_os_diagnose`.
pub struct OsDiagnose;

/// One server or service of `infra.yaml`, as the tools report it (`${secret:…}`
/// references are shown as written, never resolved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfraItem {
    /// Its unique name.
    pub name: String,
    /// What it is (`server`, `database`, `service`, ... as written in the file).
    pub kind: String,
    /// Where it lives (host name, IP address or URL), when given.
    pub address: Option<String>,
    /// How its health is probed: an `http://`/`https://` URL or `host:port` for TCP.
    pub health: Option<String>,
    /// Its tags, lowercase.
    pub tags: Vec<String>,
    /// Free notes for people and agents.
    pub notes: Option<String>,
    /// The result of the last probe since the daemon started, if any.
    pub last_probe: Option<ProbeResult>,
}

/// Arguments of `mission_infra_list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InfraListParams {
    /// Only items carrying this tag (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Only items of this kind (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// Result of `mission_infra_list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfraListResult {
    /// The file read.
    pub path: String,
    /// Whether the file exists (a missing file means no items).
    pub exists: bool,
    /// The matching items, in file order.
    pub items: Vec<InfraItem>,
}

impl Tool for InfraList {
    const NAME: &'static str = "mission_infra_list";
    const TITLE: &'static str = "Configured servers and services";
    const DESCRIPTION: &'static str = "List the servers and services described in \
        infra.yaml (in the missiond home, or MISSION_INFRA_CONFIG): name, kind, address, \
        health endpoint, tags, notes and the last reachability probe. tag and kind \
        filter (case-insensitive). Probe them with mission_reachability. Fails with \
        config_error naming the file, line and field when infra.yaml is invalid.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = InfraListParams;
    type Output = InfraListResult;
}

/// Arguments of `mission_infra_get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InfraGetParams {
    /// The item's name, as listed by mission_infra_list.
    pub name: String,
}

impl Tool for InfraGet {
    const NAME: &'static str = "mission_infra_get";
    const TITLE: &'static str = "One server or service";
    const DESCRIPTION: &'static str = "Return one item of infra.yaml by name, with its \
        notes and last reachability probe. Fails with invalid_params naming `name` \
        (and listing the known names) for an unknown name.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = InfraGetParams;
    type Output = InfraItem;
}

/// Arguments of `mission_reachability`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReachabilityParams {
    /// Probe only these items (by name); every name must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 500))]
    pub names: Option<Vec<String>>,
    /// Probe only items carrying one of these tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub tags: Option<Vec<String>>,
    /// How long each probe may take, in ms (default 5000, 50 to 60000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 50, max = 60000))]
    pub timeout_ms: Option<u64>,
}

/// How an item was probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProbeKind {
    /// An HTTP(S) GET; up when the status is below 400.
    Http,
    /// A TCP connect; up when it connects.
    Tcp,
}

/// The outcome of probing one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProbeResult {
    /// The item.
    pub name: String,
    /// HTTP or TCP.
    pub kind: ProbeKind,
    /// What was probed (the health endpoint as written).
    pub target: String,
    /// Whether it answered in time (HTTP: with a status below 400).
    pub up: bool,
    /// The HTTP status, when one came back.
    pub status: Option<u16>,
    /// Time to the answer (or to the failure), in ms.
    pub latency_ms: u64,
    /// Why it is down, when it is.
    pub error: Option<String>,
    /// When it was probed.
    pub checked_at: String,
}

/// Counts of a reachability run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReachabilitySummary {
    /// Items probed.
    pub total: u32,
    /// Items that answered.
    pub up: u32,
    /// Items that did not.
    pub down: u32,
    /// Selected items without a health endpoint (not probed).
    pub skipped: u32,
}

/// Result of `mission_reachability`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReachabilityResult {
    /// One result per probed item, in file order.
    pub results: Vec<ProbeResult>,
    /// Selected items that have no health endpoint.
    pub skipped: Vec<String>,
    /// How many are up and down.
    pub summary: ReachabilitySummary,
}

impl Tool for Reachability {
    const NAME: &'static str = "mission_reachability";
    const TITLE: &'static str = "Probe server health endpoints";
    const DESCRIPTION: &'static str = "Probe the health endpoints of infra.yaml in \
        parallel: an HTTP(S) GET for URLs (status and latency; up below 400) or a TCP \
        connect for host:port. Each probe is bounded by timeoutMs (default 5000), so the \
        call ends in about that time even for hosts that never answer. names or tags \
        select items (all by default); items without a health endpoint are listed as \
        skipped. Returns each result and a summary of up and down; the last result of \
        each item is kept and shown by mission_infra_list/get. Fails with \
        invalid_params naming `names` for an unknown name.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: true,
        destructive_hint: false,
        idempotent_hint: true,
        open_world_hint: true,
    };
    type Params = ReachabilityParams;
    type Output = ReachabilityResult;
}

/// CPU use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CpuInfo {
    /// Logical CPUs.
    pub cores: u32,
    /// Use of all CPUs together, in percent, over a short sample.
    pub usage_percent: f32,
}

/// Load averages (zero where the system has none, as on Windows).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LoadInfo {
    /// Over 1 minute.
    pub one: f64,
    /// Over 5 minutes.
    pub five: f64,
    /// Over 15 minutes.
    pub fifteen: f64,
}

/// Memory or swap.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryInfo {
    /// Total bytes.
    pub total_bytes: u64,
    /// Bytes in use.
    pub used_bytes: u64,
    /// Bytes available for new use.
    pub available_bytes: u64,
}

/// One mounted filesystem.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiskInfo {
    /// Where it is mounted.
    pub mount_point: String,
    /// Its filesystem type (ext4, apfs, ...).
    pub file_system: String,
    /// Its size in bytes.
    pub total_bytes: u64,
    /// Bytes free for the daemon's user.
    pub available_bytes: u64,
    /// Free space in percent of its size.
    pub free_percent: f64,
    /// Whether the missiond home lives on it (that one is listed first).
    pub holds_home: bool,
}

/// The daemon's own process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonProcessInfo {
    /// Its pid.
    pub pid: u32,
    /// Its open file descriptors, when known.
    pub open_files: Option<u64>,
    /// Its limit of open file descriptors, when known.
    pub open_files_limit: Option<u64>,
    /// Its resident memory in bytes.
    pub memory_bytes: u64,
}

/// One slot's processes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotProcessInfo {
    /// The slot.
    pub slot_id: String,
    /// Whether its process runs.
    pub running: bool,
    /// Its top process (the one the daemon started), when running.
    pub pid: Option<u32>,
    /// Processes in its tree (the top one and every descendant).
    pub processes: u32,
    /// CPU use of the whole tree, in percent of one CPU.
    pub cpu_percent: f32,
    /// Resident memory of the whole tree, in bytes.
    pub memory_bytes: u64,
}

/// Result of `mission_os_diagnose`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OsDiagnoseResult {
    /// The machine's host name, when known.
    pub hostname: Option<String>,
    /// The operating system and version, when known.
    pub os: Option<String>,
    /// Seconds since boot.
    pub uptime_secs: u64,
    /// CPU use.
    pub cpu: CpuInfo,
    /// Load averages.
    pub load: LoadInfo,
    /// Memory.
    pub memory: MemoryInfo,
    /// Swap.
    pub swap: MemoryInfo,
    /// Mounted filesystems, the one holding the missiond home first.
    pub disks: Vec<DiskInfo>,
    /// The daemon's process.
    pub daemon: DaemonProcessInfo,
    /// Each configured slot's process tree.
    pub slots: Vec<SlotProcessInfo>,
    /// Limits that are near: disk under 5 % free, file descriptors over 80 % of the
    /// limit, memory or swap over 90 % used.
    pub warnings: Vec<String>,
}

impl Tool for OsDiagnose {
    const NAME: &'static str = "mission_os_diagnose";
    const TITLE: &'static str = "Machine resources";
    const DESCRIPTION: &'static str = "Report the resources of the machine the daemon \
        runs on: CPU use and load, memory and swap, disks (the one holding the missiond \
        home first, with its free space), the daemon's open files against its limit, \
        and for each slot the CPU and memory of its process tree. warnings name the \
        limits that are near (disk under 5 % free, open files over 80 % of the limit, \
        memory or swap over 90 % used). Takes about a quarter of a second (CPU use is \
        sampled).";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = EmptyParams;
    type Output = OsDiagnoseResult;
}

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<InfraList>(),
        ToolDef::of::<InfraGet>(),
        ToolDef::of::<Reachability>(),
        ToolDef::of::<OsDiagnose>(),
    ]
}
