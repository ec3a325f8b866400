//! Properties over generated commands: no input panics the analyser, and `rm -rf`
//! reached through any mix of separators, wrappers, quoting and nesting is denied.

use proptest::prelude::*;

use super::super::Outcome;
use super::super::shell::analyse;
use super::{bash, policy};

const RM: &str = "roles:\n  coder:\n    allow: [\"Bash(*)\"]\n    deny: [\"Bash(rm -rf*)\"]\n";

fn spelling() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "rm -rf x",
        "rm -fr x",
        "rm -r -f x",
        "rm -Rf x",
        "rm --force --recursive x",
        "rm x -rf",
        "/bin/rm -rf x",
        "r''m -rf x",
        "\\rm -rf x",
        "\"rm\" \"-rf\" x",
    ])
}

fn wrapper() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "",
        "sudo ",
        "sudo -u root ",
        "env ",
        "env A=1 ",
        "A=1 ",
        "nohup ",
        "time ",
        "command ",
        "nice -n 3 ",
        "timeout 9 ",
        "exec ",
        "xargs ",
    ])
}

fn neighbour() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["ls", "git status", "echo 'a; b'", "cd /tmp", "true"])
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["; ", " && ", " || ", " | ", " & ", "\n"])
}

/// Puts `cmd` inside a construct that still runs it.
fn nest(cmd: String, how: u8) -> String {
    match how % 7 {
        0 => cmd,
        6 => format!("! {cmd}"),
        1 => format!("echo $({cmd})"),
        2 => format!("( {cmd} )"),
        3 => format!("bash -c '{}'", cmd.replace('\'', r"'\''")),
        4 => format!("{{ {cmd}; }}"),
        _ => format!("if true; then {cmd}; fi"),
    }
}

proptest! {
    #[test]
    fn analysis_never_panics(s in "[ -~\\n\\t]{0,120}") {
        let _ = analyse(&s);
    }

    #[test]
    fn rm_rf_is_denied_however_it_is_wrapped(
        before in neighbour(),
        sep1 in separator(),
        wraps in prop::collection::vec(wrapper(), 0..3),
        rm in spelling(),
        sep2 in separator(),
        after in neighbour(),
        how in 0u8..7,
    ) {
        let core = format!("{}{rm}", wraps.concat());
        let cmd = format!("{before}{sep1}{}{sep2}{after}", nest(core, how));
        let p = policy(RM);
        prop_assert_eq!(bash(&p, &cmd), Outcome::Deny, "{}", cmd);
    }
}
