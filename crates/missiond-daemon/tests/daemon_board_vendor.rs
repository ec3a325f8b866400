//! The board embeds xterm.js from `src/daemon/web/vendor/` (so the daemon builds and runs
//! offline); those copies must be exactly the files of the npm packages pinned in
//! `packages/board-vendor/package-lock.json` (`scripts/board-vendor.sh` refreshes them).
//! Needs `npm ci` in packages/board-vendor (scripts/test.sh runs it); skipped with a line
//! on stderr when it was not run, unless MISSIOND_E2E_REQUIRED=1.

use std::path::{Path, PathBuf};

/// (file in the npm packages, its vendored copy). Keep in step with scripts/board-vendor.sh.
const VENDORED: [(&str, &str); 4] = [
    ("@xterm/xterm/lib/xterm.js", "xterm.js"),
    ("@xterm/xterm/css/xterm.css", "xterm.css"),
    ("@xterm/xterm/LICENSE", "LICENSE.xterm"),
    ("@xterm/addon-fit/lib/addon-fit.js", "addon-fit.js"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_vendored_xterm_files_are_the_pinned_packages_files() {
    let packages = root().join("packages/board-vendor");
    let modules = packages.join("node_modules");
    let vendor = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/daemon/web/vendor");

    // The lockfile pins exact versions, and they are the ones package.json names.
    let lock: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(packages.join("package-lock.json")).expect("the lockfile"),
    )
    .expect("lockfile JSON");
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(packages.join("package.json")).expect("package.json"),
    )
    .expect("package.json JSON");
    for name in ["@xterm/xterm", "@xterm/addon-fit"] {
        let wanted = manifest["dependencies"][name]
            .as_str()
            .expect("a pinned version");
        assert!(
            wanted.chars().all(|c| c.is_ascii_digit() || c == '.'),
            "{name} must be pinned to an exact version, not {wanted:?}"
        );
        let locked = &lock["packages"][format!("node_modules/{name}")];
        assert_eq!(
            locked["version"], wanted,
            "{name} in the lockfile: {locked}"
        );
        assert!(
            locked["integrity"].is_string(),
            "{name}: no integrity in the lockfile"
        );
    }

    if !modules.join("@xterm/xterm").exists() {
        if std::env::var("MISSIOND_E2E_REQUIRED").as_deref() == Ok("1") {
            panic!("run `npm ci` in {} first", packages.display());
        }
        eprintln!("skipped: `npm ci` was not run in {}", packages.display());
        return;
    }
    for (name, _) in [("@xterm/xterm", ()), ("@xterm/addon-fit", ())] {
        let installed: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(modules.join(name).join("package.json")).expect("installed"),
        )
        .expect("JSON");
        assert_eq!(
            installed["version"], manifest["dependencies"][name],
            "{name}: node_modules holds another version; run `npm ci` in packages/board-vendor"
        );
    }
    for (from, to) in VENDORED {
        let original = std::fs::read(modules.join(from)).expect(from);
        let copy = std::fs::read(vendor.join(to)).expect(to);
        assert!(
            original == copy,
            "src/daemon/web/vendor/{to} differs from {from} of the pinned package: run scripts/board-vendor.sh"
        );
    }
    // Nothing else sits in vendor/ unchecked.
    let mut present: Vec<String> = std::fs::read_dir(&vendor)
        .expect("vendor folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    present.sort();
    let mut expected: Vec<String> = VENDORED.iter().map(|(_, to)| to.to_string()).collect();
    expected.sort();
    assert_eq!(present, expected);
}
