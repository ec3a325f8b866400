//! Proposals in the database, on a real SQLite file opened again as a restarted daemon
//! would: still there, decided once, staying decided, bounded.

use std::collections::BTreeMap;

use super::proposals::{Draft, ProposalKind};
use crate::kb::NewEntry;
use crate::store::{Decision, PENDING_MAX, ProposalStatus, Store};

const T0: i64 = 1_800_000_000_000;

fn remember(store: &Store, key: &str, now: i64) -> (i64, i64) {
    let e = NewEntry {
        key: Some(key.to_string()),
        title: None,
        content: format!("content of {key}"),
        category: "general".to_string(),
        tags: vec![key.to_string()],
        source: None,
        expires_at: None,
    };
    let stored = store.kb_remember(&e, now).unwrap().0;
    (stored.id, stored.updated_at)
}

fn stale(entries: &[(i64, i64)]) -> Draft {
    Draft {
        kind: ProposalKind::Stale,
        entry_ids: entries.iter().map(|e| e.0).collect(),
        keep: None,
        title: None,
        content: None,
        reason: "old".into(),
        snapshot: entries.to_vec(),
    }
}

#[test]
fn proposals_outlive_a_reopen_and_stay_decided() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mission.db");
    let (merge_id, stale_id, changed_id) = {
        let store = Store::open(&path).unwrap();
        let a = remember(&store, "a", T0);
        let b = remember(&store, "b", T0);
        let c = remember(&store, "c", T0);
        let merge = Draft {
            kind: ProposalKind::Merge,
            entry_ids: vec![a.0, b.0],
            keep: Some(a.0),
            title: Some("A and B".into()),
            content: Some("merged".into()),
            reason: "same".into(),
            snapshot: vec![a, b],
        };
        let tags = BTreeMap::from([(a.0, vec!["a".to_string()]), (b.0, vec!["b".to_string()])]);
        let m = store.kb_proposal_add(&merge, &tags, T0).unwrap();
        let s = store
            .kb_proposal_add(&stale(&[c]), &BTreeMap::new(), T0)
            .unwrap();
        let x = store
            .kb_proposal_add(&stale(&[b]), &BTreeMap::new(), T0)
            .unwrap();
        assert_ne!(m.id, s.id);
        (m.id, s.id, x.id)
    };

    // Opened again: the proposals are there as filed.
    let store = Store::open(&path).unwrap();
    let (merge, status) = store.kb_proposal(&merge_id).unwrap().expect("kept");
    assert_eq!(status, ProposalStatus::Pending);
    assert_eq!(merge.draft.content.as_deref(), Some("merged"));
    assert_eq!(merge.tags.get(&merge.draft.entry_ids[1]).unwrap(), &["b"]);
    let change = |p: &super::proposals::Proposal| {
        p.draft
            .change(|e| p.tags.get(&e).cloned().unwrap_or_default())
    };
    let decided = store.kb_proposal_decide(&merge_id, T0 + 5, change).unwrap();
    let Decision::Applied(applied) = decided else {
        panic!("{decided:?}")
    };
    assert_eq!(applied.rewrite.as_ref().unwrap().3, ["a", "b"]);
    // The merge deleted b: the proposal about b is skipped, and stays so.
    let skipped = store
        .kb_proposal_decide(&changed_id, T0 + 6, change)
        .unwrap();
    assert!(
        matches!(&skipped, Decision::Skipped(why) if why.contains("deleted")),
        "{skipped:?}"
    );
    drop(store);

    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.kb_proposal(&merge_id).unwrap().unwrap().1,
        ProposalStatus::Applied(T0 + 5)
    );
    assert!(matches!(
        store.kb_proposal(&changed_id).unwrap().unwrap().1,
        ProposalStatus::Skipped(at, _) if at == T0 + 6
    ));
    let again = store.kb_proposal_decide(&merge_id, T0 + 9, change).unwrap();
    assert_eq!(
        again,
        Decision::AlreadyDecided(ProposalStatus::Applied(T0 + 5))
    );
    let stale_applied = store.kb_proposal_decide(&stale_id, T0 + 9, change).unwrap();
    assert!(
        matches!(stale_applied, Decision::Applied(_)),
        "{stale_applied:?}"
    );
    assert_eq!(
        store.kb_proposal_decide("kbp-999", T0, change).unwrap(),
        Decision::Unknown
    );
    assert_eq!(store.kb_proposal("kbp-x").unwrap(), None);
}

#[test]
fn pending_proposals_are_bounded_and_ids_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("mission.db")).unwrap();
    let e = remember(&store, "e", T0);
    let first = store
        .kb_proposal_add(&stale(&[e]), &BTreeMap::new(), T0)
        .unwrap();
    let mut last = first.clone();
    for n in 0..PENDING_MAX {
        last = store
            .kb_proposal_add(&stale(&[e]), &BTreeMap::new(), T0 + n as i64)
            .unwrap();
    }
    assert_eq!(
        store.kb_proposal(&first.id).unwrap(),
        None,
        "the oldest went"
    );
    assert!(store.kb_proposal(&last.id).unwrap().is_some());
    let pending: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM kb_proposals WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending as usize, PENDING_MAX);
    // The newest id removed, the next is still new.
    store
        .conn()
        .execute(
            "DELETE FROM kb_proposals WHERE id = (SELECT max(id) FROM kb_proposals)",
            [],
        )
        .unwrap();
    let next = store
        .kb_proposal_add(&stale(&[e]), &BTreeMap::new(), T0)
        .unwrap();
    assert_ne!(next.id, last.id);
}
