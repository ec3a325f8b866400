//! The spellings a deny or confirm rule is tried against, so that `Bash(rm -rf*)` also
//! catches `/bin/rm -rf`, `rm -fr`, `rm -r -f`, `rm --recursive --force` and `rm x -rf`.

use std::collections::BTreeSet;

use super::strip::basename;

/// More option letters than this are not permuted (only kept as written and sorted).
const MAX_PERMUTED: usize = 4;

/// Every spelling of one command (given as words): as written, with the program's
/// basename, and with its options gathered in front, the short ones merged, split and in
/// every order.
pub(crate) fn variants(words: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Some((&name, rest)) = words.split_first() else {
        return out;
    };
    let base = basename(name);
    let mut names = vec![name];
    if base != name && !base.is_empty() {
        names.push(base);
    }
    for n in &names {
        out.insert(join::<&str, &str>(n, &[], rest));
    }
    let (letters, longs, operands) = split_options(base, rest);
    if letters.is_empty() && longs.is_empty() {
        return out;
    }
    let orders = if letters.len() <= MAX_PERMUTED {
        permutations(&letters)
    } else {
        let mut sorted = letters.clone();
        sorted.sort_unstable();
        vec![letters.clone(), sorted]
    };
    for n in &names {
        for order in &orders {
            let mut opts: Vec<String> = Vec::new();
            if !order.is_empty() {
                opts.push(format!("-{}", order.iter().collect::<String>()));
            }
            opts.extend(longs.iter().cloned());
            out.insert(join(n, &opts, &operands));
            if order.len() > 1 {
                let mut split: Vec<String> = order.iter().map(|c| format!("-{c}")).collect();
                split.extend(longs.iter().cloned());
                out.insert(join(n, &split, &operands));
            }
        }
    }
    out
}

fn join<S: AsRef<str>, T: AsRef<str>>(name: &str, opts: &[S], operands: &[T]) -> String {
    let mut s = name.to_string();
    for w in opts
        .iter()
        .map(AsRef::as_ref)
        .chain(operands.iter().map(AsRef::as_ref))
    {
        s.push(' ');
        s.push_str(w);
    }
    s
}

/// Short option letters (deduplicated, in order), long options, and the other words.
/// Options end at `--`. For `rm`, `-R`, `--recursive` and `--force` become `r` and `f`.
fn split_options<'a>(program: &str, rest: &[&'a str]) -> (Vec<char>, Vec<String>, Vec<&'a str>) {
    let mut letters: Vec<char> = Vec::new();
    let mut longs = Vec::new();
    let mut operands = Vec::new();
    let add = |c: char, letters: &mut Vec<char>| {
        let c = if program == "rm" && c == 'R' { 'r' } else { c };
        if !letters.contains(&c) {
            letters.push(c);
        }
    };
    let mut ended = false;
    for &w in rest {
        if ended {
            operands.push(w);
        } else if w == "--" {
            ended = true;
            operands.push(w);
        } else if let Some(long) = w.strip_prefix("--") {
            match (program, long) {
                ("rm", "recursive") => add('r', &mut letters),
                ("rm", "force") => add('f', &mut letters),
                _ => longs.push(w.to_string()),
            }
        } else if let Some(short) = w.strip_prefix('-').filter(|s| !s.is_empty()) {
            for c in short.chars() {
                add(c, &mut letters);
            }
        } else {
            operands.push(w);
        }
    }
    (letters, longs, operands)
}

fn permutations(items: &[char]) -> Vec<Vec<char>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, &c) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut p in permutations(&rest) {
            p.insert(0, c);
            out.push(p);
        }
    }
    out
}
