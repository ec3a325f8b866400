use super::*;

fn texts(cmd: &str) -> Vec<String> {
    analyse(cmd)
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
        .pieces
        .into_iter()
        .map(|p| p.text)
        .collect()
}

fn has_form(cmd: &str, form: &str) -> bool {
    analyse(cmd)
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
        .pieces
        .iter()
        .any(|p| p.forms.iter().any(|f| f == form))
}

fn opaque(cmd: &str) -> Vec<bool> {
    analyse(cmd)
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
        .pieces
        .iter()
        .map(|p| p.opaque)
        .collect()
}

#[test]
fn lists_and_pipelines_are_cut_into_simple_commands() {
    assert_eq!(
        texts("a; b && c || d | e & f\ng |& h"),
        ["a", "b", "c", "d", "e", "f", "g", "h"]
    );
    assert_eq!(texts("(cd x && make) ; ls"), ["cd x", "make", "ls"]);
    assert_eq!(texts("{ a; b; }"), ["a", "b"]);
    assert_eq!(
        texts("if test -f x; then rm x; else echo no; fi"),
        ["test -f x", "rm x", "echo no"]
    );
    assert_eq!(texts("for f in a b; do echo $f; done")[1], "echo $f");
}

#[test]
fn quotes_escapes_and_whitespace_are_normalised() {
    assert_eq!(texts("rm  \t -rf   x"), ["rm -rf x"]);
    assert_eq!(texts("r''m -rf x"), ["rm -rf x"]);
    assert_eq!(texts(r"\rm -rf x"), ["rm -rf x"]);
    assert_eq!(texts(r#""rm" '-rf' x"#), ["rm -rf x"]);
    assert_eq!(texts(r"$'\x72m' -rf x"), ["rm -rf x"]);
    assert_eq!(
        texts(
            r"$'\162m' -r\
f x"
        ),
        ["rm -rf x"]
    );
    assert_eq!(
        texts("git commit -m 'a; rm -rf b'"),
        ["git commit -m a; rm -rf b"]
    );
    assert_eq!(texts("echo a # ; rm -rf /"), ["echo a"]);
    assert_eq!(texts("echo a#b"), ["echo a#b"]);
}

#[test]
fn substitutions_and_nested_shells_yield_their_commands() {
    let t = texts("echo $(rm -rf x) `rm -fr y` \"$(whoami)\" <(ls)");
    for want in ["rm -rf x", "rm -fr y", "whoami", "ls"] {
        assert!(t.iter().any(|p| p == want), "{want} missing from {t:?}");
    }
    assert!(texts("bash -c 'rm -rf /'").contains(&"rm -rf /".to_string()));
    assert!(texts("sh -ec \"cd /; rm -rf x\"").contains(&"rm -rf x".to_string()));
    assert!(texts("bash -o pipefail -c 'rm -rf x'").contains(&"rm -rf x".to_string()));
    assert!(texts("busybox sh -c 'rm -rf x'").contains(&"rm -rf x".to_string()));
    assert!(texts("eval 'rm -rf x'").contains(&"rm -rf x".to_string()));
    assert!(texts("sudo bash -c 'sh -c \"rm -rf z\"'").contains(&"rm -rf z".to_string()));
    assert!(texts("find . -name x -exec rm -rf {} \\;").contains(&"rm -rf {}".to_string()));
    assert!(texts("echo $((1 + $(rm -rf q)))").contains(&"rm -rf q".to_string()));
}

#[test]
fn wrappers_are_peeled_in_deny_forms_only() {
    for cmd in [
        "sudo rm -rf x",
        "sudo -u root -- rm -rf x",
        "env FOO=1 rm -rf x",
        "env -i PATH=/bin rm -rf x",
        "FOO=1 BAR='a b' rm -rf x",
        "command rm -rf x",
        "nohup rm -rf x",
        "time -p rm -rf x",
        "timeout -s KILL 5 rm -rf x",
        "nice -n 5 ionice -c 3 rm -rf x",
        "xargs -I{} rm -rf x",
        "xargs -n 1 rm -rf x",
        "/usr/bin/sudo /bin/rm -rf x",
        "exec rm -rf x",
        "env -S 'rm -rf x'",
        "builtin command nohup sudo env A=b rm -rf x",
    ] {
        assert!(has_form(cmd, "rm -rf x"), "{cmd}");
    }
    // Allow rules see the command as written.
    assert_eq!(texts("sudo git status"), ["sudo git status"]);
    assert_eq!(
        texts("LD_PRELOAD=/x.so git status"),
        ["LD_PRELOAD=/x.so git status"]
    );
}

#[test]
fn option_spellings_reduce_to_one_form() {
    for cmd in [
        "rm -rf x",
        "rm -fr x",
        "rm -r -f x",
        "rm -f -r x",
        "rm -R -f x",
        "rm --recursive --force x",
        "rm x -rf",
        "rm -v -rf x",
        "/bin/rm -rf x",
        "./rm -rf x",
    ] {
        let a = analyse(cmd).unwrap();
        assert!(
            a.pieces[0].forms.iter().any(|f| f.starts_with("rm -rf")),
            "{cmd}: {:?}",
            a.pieces[0].forms
        );
    }
    assert!(has_form("rm -fr x", "rm -r -f x"));
    assert!(
        !analyse("rm -r x").unwrap().pieces[0]
            .forms
            .iter()
            .any(|f| f.starts_with("rm -rf"))
    );
}

#[test]
fn redirections_move_to_the_end() {
    assert_eq!(texts(">/tmp/out echo hi"), ["echo hi >/tmp/out"]);
    assert_eq!(texts("make 2>&1 | tee log"), ["make 2>&1", "tee log"]);
    assert_eq!(texts("cat <<< hi"), ["cat <<<hi"]);
    assert_eq!(texts("ls &> x"), ["ls &>x"]);
    assert_eq!(texts("> /etc/passwd"), [">/etc/passwd"]);
}

#[test]
fn hidden_commands_are_opaque() {
    assert_eq!(opaque("$X -rf /"), [true]);
    // The substitution comes first; its output makes the outer command opaque.
    assert_eq!(opaque("git $(echo push) --force"), [false, true]);
    assert_eq!(opaque("echo $HOME"), [true]);
    assert_eq!(opaque("rm${IFS}-rf${IFS}x"), [true]);
    assert_eq!(opaque("/bin/r? -rf x"), [true]);
    assert_eq!(opaque("{rm,-rf,x}"), [true]);
    assert_eq!(opaque("curl -s x | sh"), [false, true]);
    assert_eq!(opaque("curl -s x | bash -s -- arg"), [false, true]);
    assert_eq!(opaque("bash -c \"$CMD\""), [true, true]);
    assert_eq!(opaque("echo hi > $OUT"), [true]);
    assert_eq!(opaque("git status; ls -la src/*.rs"), [false, false]);
    assert_eq!(opaque("bash script.sh"), [false]);
    assert_eq!(opaque("bash <<< 'rm -rf /'"), [true]);
    assert_eq!(opaque("echo '-rf /' | xargs rm"), [false, true]);
    assert_eq!(opaque("echo 'rm -rf /' | xargs sh -c"), [false, true]);
    assert_eq!(opaque("busybox sh"), [true]);
}

#[test]
fn what_cannot_be_read_is_an_error() {
    for (cmd, want) in [
        ("echo 'oops", ShellError::Unterminated("'")),
        ("echo \"oops", ShellError::Unterminated("\"")),
        ("echo $(oops", ShellError::Unbalanced('(')),
        ("echo oops)", ShellError::Unbalanced(')')),
        (
            "cat <<EOF\nrm -rf /",
            ShellError::Unterminated("here-document"),
        ),
        (
            "cat <<EOF\n$(rm -rf /)\nEOF",
            ShellError::Unsupported("a command substitution in a here-document"),
        ),
        (
            "echo ${x:-$(rm -rf /)}",
            ShellError::Unsupported("a substitution inside ${…}"),
        ),
        ("echo `oops", ShellError::Unterminated("`")),
        ("echo >", ShellError::Syntax("redirection without a target")),
        ("   ", ShellError::Empty),
    ] {
        assert_eq!(analyse(cmd).map(|a| a.pieces.len()), Err(want), "{cmd}");
    }
    assert!(analyse(&"ls;".repeat(30_000)).is_err());
    let deep = format!("{}x{}", "$(".repeat(40), ")".repeat(40));
    assert_eq!(analyse(&deep).map(|_| ()), Err(ShellError::TooDeep));
}

fn accesses(cmd: &str) -> Vec<(String, Access, bool)> {
    analyse(cmd)
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
        .pieces
        .into_iter()
        .flat_map(|p| p.redirects)
        .map(|r| (r.target, r.access, r.known))
        .collect()
}

#[test]
fn every_redirection_form_has_its_access() {
    use Access::{None as Nothing, Read, ReadWrite, Write};
    let f = |t: &str| t.to_string();
    for (cmd, want) in [
        ("echo x > f", vec![(f("f"), Write, true)]),
        ("echo x >> f", vec![(f("f"), Write, true)]),
        ("echo x 1> f", vec![(f("f"), Write, true)]),
        ("echo x 2> f", vec![(f("f"), Write, true)]),
        ("echo x 2>> f", vec![(f("f"), Write, true)]),
        ("echo x &> f", vec![(f("f"), Write, true)]),
        ("echo x &>> f", vec![(f("f"), Write, true)]),
        ("echo x >| f", vec![(f("f"), Write, true)]),
        ("echo x >& f", vec![(f("f"), Write, true)]),
        ("cat < f", vec![(f("f"), Read, true)]),
        ("cat 0< f", vec![(f("f"), Read, true)]),
        ("cat <& f", vec![(f("f"), Read, true)]),
        ("cat <> f", vec![(f("f"), ReadWrite, true)]),
        ("cat 3<> f", vec![(f("f"), ReadWrite, true)]),
        ("echo x 2>&1", vec![(f("1"), Nothing, true)]),
        ("echo x >&2", vec![(f("2"), Nothing, true)]),
        ("echo x >&-", vec![(f("-"), Nothing, true)]),
        ("echo x 3>&1-", vec![(f("1-"), Nothing, true)]),
        ("cat <&0", vec![(f("0"), Nothing, true)]),
        ("echo x > /dev/null", vec![(f("/dev/null"), Nothing, true)]),
        ("echo x > /dev/fd/7", vec![(f("/dev/fd/7"), Nothing, true)]),
        ("cat <<< word", vec![(f("word"), Nothing, true)]),
        ("cat <<EOF\nbody\nEOF", vec![(f("EOF"), Nothing, true)]),
        ("cat <<-EOF\n\tbody\n\tEOF", vec![(f("EOF"), Nothing, true)]),
        ("echo x > $F", vec![(f("$F"), Write, false)]),
        ("echo x > \"$F\"", vec![(f("$F"), Write, false)]),
        ("echo x > '$F'", vec![(f("$F"), Write, true)]),
        ("echo x > *.txt", vec![(f("*.txt"), Write, false)]),
        ("echo x > ~/f", vec![(f("~/f"), Write, true)]),
        ("echo x > '~/f'", vec![(f("./~/f"), Write, true)]),
        ("echo x > ~bob/f", vec![(f("~bob/f"), Write, false)]),
        ("echo x > >(cat)", vec![(f(">(cat)"), Write, false)]),
        (
            "cat < in > out 2>&1",
            vec![
                (f("in"), Read, true),
                (f("out"), Write, true),
                (f("1"), Nothing, true),
            ],
        ),
    ] {
        assert_eq!(accesses(cmd), want, "{cmd}");
    }
}

#[test]
fn here_documents_are_skipped_and_the_line_goes_on() {
    assert_eq!(
        texts("cat <<EOF | grep x\nrm -rf /\nEOF\nls"),
        ["cat <<EOF", "grep x", "ls"]
    );
    assert_eq!(
        texts("cat <<'A' <<B\n$(x)\nA\nb\nB\necho done"),
        ["cat <<A <<B", "echo done"]
    );
    // Whitespace in the text is collapsed, the body included.
    assert_eq!(
        texts("echo $(cat <<EOF\nhi\nEOF\n)"),
        ["cat <<EOF", "echo $(cat <<EOF hi EOF )"]
    );
}

#[test]
fn cd_is_noticed_with_its_folder() {
    let a = analyse("cd /etc && echo x > passwd").unwrap();
    assert!(a.changes_dir);
    assert_eq!(a.dirs, ["/etc"]);
    let a = analyse("(cd; pushd -n /tmp; cd $D) ; ls").unwrap();
    assert_eq!(a.dirs, ["~", "/tmp"]);
    assert!(!analyse("echo cd > f").unwrap().changes_dir);
}
