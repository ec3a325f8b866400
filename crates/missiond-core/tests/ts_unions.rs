//! The string unions the two npm packages type (`packages/semantic-terminal/index.d.ts`
//! and `packages/client/src/types.ts`) are generated from the Rust enums the wire carries,
//! so neither package spells them by hand and they cannot drift from the daemon or from
//! each other. Rewrite them with `UPDATE_TYPES=1 cargo test -p missiond-core --test
//! ts_unions`; without it this test fails while a file differs from what it would write.

use std::path::{Path, PathBuf};

use missiond_core::catalogue::{DialogKind, OptionMeaning, SlotState};
use schemars::JsonSchema;
use serde_json::Value;

/// The wire spellings of `T`'s variants, in declaration order (from its JSON schema).
fn variants<T: JsonSchema>() -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        let Value::Object(map) = v else {
            return;
        };
        if let Some(Value::String(c)) = map.get("const") {
            out.push(c.clone());
        }
        if let Some(Value::Array(values)) = map.get("enum") {
            out.extend(values.iter().filter_map(|x| x.as_str().map(str::to_string)));
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(Value::Array(items)) = map.get(key) {
                for item in items {
                    walk(item, out);
                }
            }
        }
    }
    let schema = serde_json::to_value(schemars::schema_for!(T)).expect("schema");
    let mut out = Vec::new();
    walk(&schema, &mut out);
    assert!(!out.is_empty(), "no variants in {schema}");
    out
}

/// `export type NAME =` and its members, one a line, as both files write unions.
fn render(name: &str, members: &[String]) -> String {
    let mut s = format!("export type {name} =");
    for m in members {
        s.push_str(&format!("\n  | '{m}'"));
    }
    s.push(';');
    s
}

/// `text` with the union `name` replaced by `union` (it must be there).
fn replace_union(text: &str, name: &str, union: &str, file: &Path) -> String {
    let head = format!("export type {name} =");
    let start = text
        .find(&head)
        .unwrap_or_else(|| panic!("{} declares no `{head}`", file.display()));
    let end = start
        + text[start..]
            .find(';')
            .unwrap_or_else(|| panic!("`{head}` in {} has no end", file.display()))
        + 1;
    format!("{}{union}{}", &text[..start], &text[end..])
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A union's name in a file, and its members.
type Union = (&'static str, Vec<String>);

/// Each file with the unions it must hold, each by its name there.
fn expected() -> Vec<(PathBuf, Vec<Union>)> {
    let dialog_kinds = variants::<DialogKind>();
    let meanings = variants::<OptionMeaning>();
    vec![
        (
            root().join("packages/semantic-terminal/index.d.ts"),
            vec![
                ("State", variants::<semantic_terminal::State>()),
                ("DialogKind", dialog_kinds.clone()),
                ("OptionMeaning", meanings.clone()),
            ],
        ),
        (
            root().join("packages/client/src/types.ts"),
            vec![
                ("SlotState", variants::<SlotState>()),
                ("DialogKind", dialog_kinds),
                ("OptionMeaning", meanings),
            ],
        ),
    ]
}

#[test]
fn the_packages_unions_are_the_rust_enums() {
    let update = std::env::var_os("UPDATE_TYPES").is_some();
    let mut stale = Vec::new();
    for (file, unions) in expected() {
        let current =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut fresh = current.clone();
        for (name, members) in &unions {
            fresh = replace_union(&fresh, name, &render(name, members), &file);
        }
        if fresh == current {
            continue;
        }
        if update {
            std::fs::write(&file, &fresh).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        } else {
            stale.push(file.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} spell a union unlike the Rust enum: regenerate with \
         `UPDATE_TYPES=1 cargo test -p missiond-core --test ts_unions`"
    );
}

#[test]
fn a_slot_state_is_a_screen_state_or_stopped() {
    // The client's SlotState is the screen's State plus Stopped (no process): the one
    // difference between the two packages' unions.
    let screen = variants::<semantic_terminal::State>();
    let slot = variants::<SlotState>();
    let mut expected = vec!["Stopped".to_string()];
    expected.extend(screen);
    assert_eq!(slot, expected);
}

#[test]
fn a_union_is_replaced_whole_and_only_it() {
    let text = "/** A. */\nexport type A = 'x' | 'y';\nexport type B =\n  | 'b';\n";
    let got = replace_union(text, "A", &render("A", &["z".into()]), Path::new("t"));
    assert_eq!(
        got,
        "/** A. */\nexport type A =\n  | 'z';\nexport type B =\n  | 'b';\n"
    );
}
