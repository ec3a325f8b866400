//! Tests of the knowledge base: validation, query sanitising and expiry parsing here;
//! the store on a real SQLite file (FTS5 edge cases, re-indexing, GC, reopening) in
//! [`store`].

mod store;

use super::query::{Combine, build};
use super::validate::{self, RawEntry};
use super::*;

const T0: i64 = 1_800_000_000_000;
const DAY: i64 = 86_400_000;

fn raw(content: &str) -> RawEntry<'_> {
    RawEntry {
        content,
        ..RawEntry::default()
    }
}

// ---- query sanitising ----

#[test]
fn queries_quote_every_word_and_drop_punctuation() {
    let q = build(r#"deploy "prod" NEAR(a b) OR * -x ^y col:z"#, Combine::All).expect("ok");
    assert_eq!(
        q.expression,
        r#""deploy"* """prod"""* "NEAR(a"* "b)"* "OR"* "-x"* "^y"* "col:z"*"#
    );
    assert_eq!(q.terms.len(), 8, "`*` alone is dropped: {:?}", q.terms);
    assert!(
        build("  !!! ... -- ** \"\" () ", Combine::All)
            .expect("ok")
            .is_empty()
    );
    let nul = build("a\0AND\u{7}b", Combine::All).expect("ok");
    assert_eq!(
        nul.terms,
        ["a", "AND", "b"],
        "control characters split words"
    );
    assert_eq!(
        build("a b", Combine::Any).expect("ok").expression,
        r#""a"* OR "b"*"#
    );
}

#[test]
fn queries_too_long_or_too_wordy_are_refused() {
    let long = "x".repeat(QUERY_MAX_CHARS + 1);
    assert_eq!(build(&long, Combine::All).unwrap_err().field, "query");
    let wordy = vec!["w"; QUERY_MAX_TERMS + 1].join(" ");
    assert_eq!(build(&wordy, Combine::All).unwrap_err().field, "query");
    let just_enough = vec!["w"; QUERY_MAX_TERMS].join(" ");
    assert_eq!(
        build(&just_enough, Combine::All).expect("ok").terms.len(),
        32
    );
}

// ---- validation ----

#[test]
fn categories_are_lowercase_tiered_slugs() {
    assert_eq!(
        validate::category("c", " Infra/DB ").expect("ok"),
        "infra/db"
    );
    assert_eq!(validate::category("c", "how-to_2").expect("ok"), "how-to_2");
    for bad in [
        "", "  ", "a b", "-x", "infra/", "/infra", "a/b/c/d", "café", "x.y",
    ] {
        let err = validate::category("category", bad).expect_err(bad);
        assert_eq!(err.field, "category", "{bad}");
    }
    let too_long = "a".repeat(CATEGORY_MAX_CHARS + 1);
    assert!(validate::category("category", &too_long).is_err());
    let e = validate::entry(&raw("x"), T0).expect("ok");
    assert_eq!(e.category, DEFAULT_CATEGORY);
}

#[test]
fn limits_hold_at_their_edges() {
    let max = "é".repeat(CONTENT_MAX_BYTES / 2);
    assert!(validate::content(&max).is_ok(), "exactly 64 KiB is allowed");
    let over = format!("{max}x");
    assert!(
        validate::content(&over)
            .unwrap_err()
            .reason
            .contains("65537")
    );
    assert_eq!(validate::content(" \n\t").unwrap_err().field, "content");

    let title = "ü".repeat(TITLE_MAX_CHARS);
    let ok = RawEntry {
        title: Some(&title),
        ..raw("c")
    };
    assert!(
        validate::entry(&ok, T0).is_ok(),
        "200 characters, 400 bytes"
    );
    let long_title = format!("{title}x");
    let bad = RawEntry {
        title: Some(&long_title),
        ..raw("c")
    };
    assert_eq!(validate::entry(&bad, T0).unwrap_err().field, "title");
    assert_eq!(validate::key(&"k".repeat(201)).unwrap_err().field, "key");
    assert_eq!(validate::key("a\nb").unwrap_err().field, "key");
    assert_eq!(validate::key("   ").unwrap_err().field, "key");

    let tags: Vec<String> = (0..TAGS_MAX).map(|i| format!("t{i}")).collect();
    assert_eq!(validate::tags(&tags).expect("20 tags").len(), 20);
    let mut too_many = tags.clone();
    too_many.push("one-more".into());
    assert_eq!(validate::tags(&too_many).unwrap_err().field, "tags");
    let long_tag = vec!["ok".to_string(), "t".repeat(TAG_MAX_CHARS + 1)];
    assert_eq!(validate::tags(&long_tag).unwrap_err().field, "tags[1]");
    let mixed = vec!["Rust".to_string(), " rust ".into(), "CI".into()];
    assert_eq!(validate::tags(&mixed).expect("ok"), ["rust", "ci"]);
}

#[test]
fn an_entry_is_named_by_exactly_one_of_id_and_key() {
    assert_eq!(validate::entry_ref(Some(4), None), Ok(EntryRef::Id(4)));
    assert_eq!(
        validate::entry_ref(None, Some(" k ")),
        Ok(EntryRef::Key("k".into()))
    );
    assert!(validate::entry_ref(Some(4), Some("k")).is_err());
    assert!(validate::entry_ref(None, None).is_err());
    assert_eq!(
        InvalidField::new("content", "x").within("entries[3]").field,
        "entries[3].content"
    );
}

// ---- expiry ----

#[test]
fn rfc3339_times_parse_to_unix_ms() {
    use super::expiry::parse_rfc3339 as p;
    assert_eq!(p("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(p("1970-01-02"), Some(DAY));
    // 2000-02-29 12:34:56.789 UTC, worked out by hand in crate::time's tests.
    assert_eq!(p("2000-02-29T12:34:56.789Z"), Some(951_827_696_789));
    assert_eq!(p("2000-02-29T13:34:56.789+01:00"), Some(951_827_696_789));
    assert_eq!(p("2000-02-29 07:04:56.789-05:30"), Some(951_827_696_789));
    assert_eq!(p("2000-02-29T12:34:56.7Z"), Some(951_827_696_700));
    for bad in [
        "",
        "yesterday",
        "2026-02-29",
        "2026-13-01",
        "2026-01-01T25:00:00Z",
        "2026-01-01T10:00:00",
        "2026-01-01T10:00Z",
        "2026-01-01T10:00:00+0100",
        "2026-1-01",
    ] {
        assert_eq!(p(bad), None, "{bad:?}");
    }
    for ms in [0, 1, 951_827_696_789, T0, 4_102_444_800_000, -86_400_001] {
        assert_eq!(p(&crate::time::rfc3339_ms(ms)), Some(ms), "{ms}");
    }
}

#[test]
fn ttl_and_expiry_are_exclusive_and_bounded() {
    use super::expiry::resolve;
    assert_eq!(resolve(Some(1.5), None, T0), Ok(Some(T0 + DAY * 3 / 2)));
    assert_eq!(resolve(None, None, T0), Ok(None));
    assert_eq!(
        resolve(None, Some("1970-01-02"), T0),
        Ok(Some(DAY)),
        "a past expiry is kept: the entry is expired at once"
    );
    assert_eq!(
        resolve(Some(1.0), Some("2030-01-01"), T0)
            .unwrap_err()
            .field,
        "expiresAt"
    );
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, TTL_DAYS_MAX + 1.0] {
        assert_eq!(resolve(Some(bad), None, T0).unwrap_err().field, "ttlDays");
    }
    assert_eq!(
        resolve(None, Some("soon"), T0).unwrap_err().field,
        "expiresAt"
    );
}
