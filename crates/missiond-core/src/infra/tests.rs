use std::path::Path;

use super::*;

fn parse(text: &str) -> Result<InfraConfig, ConfigError> {
    InfraConfig::parse(text, Path::new("/h/infra.yaml"))
}

#[test]
fn reads_servers_and_services_with_defaults() {
    let c = parse(
        "servers:\n  - name: db-1\n    address: 10.0.0.5\n    health: 10.0.0.5:5432\n    tags: [Prod, db, prod]\n\
         services:\n  - name: api\n    kind: HTTP-api\n    health: https://api.example.com/healthz\n    headers: {Authorization: \"Bearer ${secret:api/token}\"}\n    notes: nightly\n",
    )
    .unwrap();
    assert_eq!(c.names(), ["db-1", "api"]);
    let db = c.get("db-1").unwrap();
    assert_eq!(db.kind, "server");
    assert_eq!(db.tags, ["prod", "db"]);
    assert_eq!(
        db.target,
        Some(HealthTarget::Tcp {
            host: "10.0.0.5".into(),
            port: 5432
        })
    );
    let api = c.get("api").unwrap();
    assert_eq!(api.kind, "http-api");
    assert_eq!(api.headers["Authorization"], "Bearer ${secret:api/token}");
    assert!(matches!(api.target, Some(HealthTarget::Http { .. })));
}

#[test]
fn errors_name_file_line_and_field() {
    let e = parse(
        "servers:\n  - name: a\n    health: 10.0.0.5:5432\n  - name: b\n    health: nohostport\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(5), "{e}");
    assert_eq!(e.field.as_deref(), Some("servers[1].health"));
    assert!(e.to_string().starts_with("/h/infra.yaml:5:"), "{e}");

    let e = parse("servers:\n  - name: a\n  - name: a\n").unwrap_err();
    assert_eq!(
        (e.line, e.field.as_deref()),
        (Some(3), Some("servers[1].name"))
    );
    assert!(e.message.contains("duplicate"), "{e}");

    let e = parse("servers:\n  - name: a\n    colour: red\n").unwrap_err();
    assert_eq!(e.field.as_deref(), Some("colour"), "{e}");
    assert_eq!(e.line, Some(3), "{e}");

    let e = parse("services:\n  - name: a\n    health: https://x/h\n    headers: {X-Key: \"${secret:oops\"}\n")
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("services[0].headers.X-Key"), "{e}");

    let e = parse("servers:\n  - name: a\n    health: db:5432\n    headers: {X: y}\n").unwrap_err();
    assert!(e.message.contains("only sent to an http"), "{e}");
}

#[test]
fn missing_file_is_empty_and_huge_file_refused() {
    let dir = tempfile::tempdir().unwrap();
    let c = InfraConfig::load(&dir.path().join("infra.yaml")).unwrap();
    assert!(!c.exists && c.items.is_empty());
    let many: String = (0..=MAX_ITEMS)
        .map(|i| format!("  - name: s{i}\n"))
        .collect();
    let e = parse(&format!("servers:\n{many}")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("servers[1000]"), "{e}");
    assert_eq!(e.line, Some(1002));
}

#[test]
fn health_targets() {
    use target::parse as t;
    assert_eq!(
        t("[::1]:80").unwrap(),
        HealthTarget::Tcp {
            host: "::1".into(),
            port: 80
        }
    );
    assert!(t("::1:80").is_err());
    assert!(t("host:0").is_err());
    assert!(t("host:99999").is_err());
    assert!(t("ftp://x").is_err());
    assert!(t("http://").is_err());
    assert_eq!(
        t("HTTP://x:1/a").unwrap(),
        HealthTarget::Http {
            url: "HTTP://x:1/a".into()
        }
    );
}

#[test]
fn filters_and_probe_selection() {
    let c = parse(
        "servers:\n  - {name: a, tags: [prod]}\n  - {name: b, kind: db, tags: [dev]}\n  - {name: c, kind: db, tags: [prod]}\n",
    )
    .unwrap();
    let names = |v: Vec<&Item>| v.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(select::filter(&c, Some("PROD"), None)), ["a", "c"]);
    assert_eq!(names(select::filter(&c, Some("prod"), Some("db"))), ["c"]);
    assert_eq!(
        names(select::for_probe(&c, None, None).unwrap()),
        ["a", "b", "c"]
    );
    let picked = select::for_probe(&c, Some(&["c".into()]), Some(&["dev".into()])).unwrap();
    assert_eq!(names(picked), ["b", "c"]);
    let e = select::for_probe(&c, Some(&["nope".into()]), None).unwrap_err();
    assert_eq!(e.data.unwrap()["field"], "names");
    assert!(e.message.contains("known: a, b, c"), "{}", e.message);
}

#[test]
fn diagnose_orders_disks_and_warns_near_limits() {
    use crate::catalogue::{DaemonProcessInfo, DiskInfo, MemoryInfo, OsDiagnoseResult};
    let disk = |mp: &str, total: u64, avail: u64| DiskInfo {
        mount_point: mp.into(),
        file_system: "ext4".into(),
        total_bytes: total,
        available_bytes: avail,
        free_percent: diagnose::free_percent(avail, total),
        holds_home: false,
    };
    let disks = diagnose::order_disks(
        vec![
            disk("/", 100, 50),
            disk("/proc", 0, 0),
            disk("/srv/data", 1000, 10),
        ],
        Path::new("/srv/data/missiond"),
    );
    assert_eq!(
        disks
            .iter()
            .map(|d| d.mount_point.as_str())
            .collect::<Vec<_>>(),
        ["/srv/data", "/"]
    );
    assert!(disks[0].holds_home && !disks[1].holds_home);
    let report = OsDiagnoseResult {
        disks,
        daemon: DaemonProcessInfo {
            open_files: Some(900),
            open_files_limit: Some(1024),
            ..Default::default()
        },
        memory: MemoryInfo {
            total_bytes: 100,
            used_bytes: 95,
            available_bytes: 5,
        },
        ..Default::default()
    };
    let w = diagnose::warnings(&report);
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(
        w[0].starts_with("disk /srv/data is 1.0 % free") && w[0].contains("home"),
        "{}",
        w[0]
    );
    assert!(
        w[1].contains("900 files open of its limit 1024"),
        "{}",
        w[1]
    );
    assert!(w[2].starts_with("memory is 95 %"), "{}", w[2]);
    let calm = OsDiagnoseResult {
        daemon: DaemonProcessInfo {
            open_files: Some(800),
            open_files_limit: Some(1024),
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(diagnose::warnings(&calm).is_empty());
}
