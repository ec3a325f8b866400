use std::collections::HashMap;

use super::*;

/// An in-memory tree: paths that exist, and symlinks with their targets.
#[derive(Default)]
pub(crate) struct FakeFs {
    links: HashMap<PathBuf, PathBuf>,
    exists: Vec<PathBuf>,
}

impl FakeFs {
    pub(crate) fn new(dirs: &[&str], links: &[(&str, &str)]) -> FakeFs {
        FakeFs {
            exists: dirs.iter().map(PathBuf::from).collect(),
            links: links
                .iter()
                .map(|(l, t)| (PathBuf::from(l), PathBuf::from(t)))
                .collect(),
        }
    }
}

impl FileSystem for FakeFs {
    fn read_link(&self, path: &Path) -> Option<PathBuf> {
        self.links.get(path).cloned()
    }

    fn exists(&self, path: &Path) -> bool {
        self.links.contains_key(path) || self.exists.iter().any(|e| e.starts_with(path))
    }
}

fn forms(raw: &str, fs: &FakeFs) -> PathForms {
    PathForms::new(raw, Path::new("/proj"), Some(Path::new("/home/u")), fs).unwrap()
}

#[test]
fn relative_paths_hang_off_cwd_and_dotdot_is_applied() {
    let fs = FakeFs::new(&["/proj/src/main.rs", "/etc/passwd"], &[]);
    let f = forms("src/./main.rs", &fs);
    assert_eq!(f.resolved, "/proj/src/main.rs");
    assert_eq!(f.resolved_rel.as_deref(), Some("src/main.rs"));
    let f = forms("src/../../etc/passwd", &fs);
    assert_eq!(f.resolved, "/etc/passwd");
    assert_eq!(f.resolved_rel, None);
    assert_eq!(f.lexical_rel, None);
    let f = forms("/../../proj/new/file.txt", &fs);
    assert_eq!(f.resolved, "/proj/new/file.txt");
    assert_eq!(forms("~/.ssh/id", &fs).resolved, "/home/u/.ssh/id");
}

#[test]
fn symlinks_are_followed_before_dotdot() {
    // /proj/out -> /var/build/out ; `out/../secret` is /var/build/secret for the kernel.
    let fs = FakeFs::new(
        &["/proj/src", "/var/build/out", "/etc/passwd"],
        &[
            ("/proj/out", "/var/build/out"),
            ("/proj/etc", "../etc"),
            ("/proj/loop", "loop"),
        ],
    );
    let f = forms("out/../secret", &fs);
    assert_eq!(f.resolved, "/var/build/secret");
    assert_eq!(f.resolved_rel, None);
    assert_eq!(f.lexical, "/proj/secret");
    assert_eq!(f.lexical_rel.as_deref(), Some("secret"));
    let f = forms("etc/passwd", &fs);
    assert_eq!(f.resolved, "/etc/passwd");
    assert_eq!(f.lexical_rel.as_deref(), Some("etc/passwd"));
    assert!(matches!(
        PathForms::new("loop/x", Path::new("/proj"), None, &fs),
        Err(PathError::TooManyLinks(_))
    ));
}

#[test]
fn cwd_behind_a_symlink_still_counts_as_inside() {
    let fs = FakeFs::new(&["/private/tmp/w/a.txt"], &[("/tmp", "/private/tmp")]);
    let f = PathForms::new("a.txt", Path::new("/tmp/w"), None, &fs).unwrap();
    assert_eq!(f.resolved, "/private/tmp/w/a.txt");
    assert_eq!(f.resolved_rel.as_deref(), Some("a.txt"));
    let f = PathForms::new("/tmp/w/a.txt", Path::new("/tmp/w"), None, &fs).unwrap();
    assert_eq!(f.resolved_rel.as_deref(), Some("a.txt"));
}

#[test]
fn unusable_paths_are_errors() {
    let fs = FakeFs::default();
    assert_eq!(
        PathForms::new("", Path::new("/p"), None, &fs),
        Err(PathError::Empty)
    );
    assert!(matches!(
        PathForms::new("x", Path::new("rel"), None, &fs),
        Err(PathError::NoBase(..))
    ));
    assert!(matches!(
        PathForms::new("~/x", Path::new("/p"), None, &fs),
        Err(PathError::NoHome(_))
    ));
}

#[cfg(unix)]
#[test]
fn real_fs_resolves_symlinks_in_a_temp_dir() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(tmp.path()).unwrap();
    let proj = root.join("proj");
    let outside = root.join("outside");
    std::fs::create_dir_all(proj.join("src")).unwrap();
    std::fs::create_dir_all(outside.join("deep")).unwrap();
    symlink(&outside, proj.join("escape")).unwrap();
    symlink("../../outside/deep", proj.join("src/rel")).unwrap();
    let f = PathForms::new("escape/new.txt", &proj, None, &RealFs).unwrap();
    assert_eq!(PathBuf::from(&f.resolved), outside.join("new.txt"));
    assert_eq!(f.resolved_rel, None);
    assert_eq!(f.lexical_rel.as_deref(), Some("escape/new.txt"));
    let through = PathForms::new("src/rel/../x", &proj, None, &RealFs).unwrap();
    assert_eq!(PathBuf::from(&through.resolved), outside.join("x"));
    // The kernel agrees once the file exists.
    std::fs::write(outside.join("x"), "").unwrap();
    assert_eq!(
        std::fs::canonicalize(proj.join("src/rel/../x")).unwrap(),
        PathBuf::from(&through.resolved)
    );
    let f = PathForms::new("src/a.rs", &proj, None, &RealFs).unwrap();
    assert_eq!(f.resolved_rel.as_deref(), Some("src/a.rs"));
}
