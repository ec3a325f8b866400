//! `permission_decisions`: every answer the daemon gave a `PreToolUse` hook, with the
//! slot, tool, arguments, deciding rules and outcome (see [`crate::permissions`]).

use rusqlite::{Row, params};
use serde_json::Value;

use super::{Store, StoreError, query_err};

/// A decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecision<'a> {
    /// The slot that asked.
    pub slot_id: &'a str,
    /// Its role.
    pub role: &'a str,
    /// The tool (`Bash`, `Write`, `mcp__x__y`).
    pub tool: &'a str,
    /// The tool's input as Claude Code sent it.
    pub input: &'a Value,
    /// The argument as matched (normalised command, resolved path ...).
    pub subject: &'a str,
    /// `allow`, `deny`, `ask`, or `defer` (no policy: Claude Code's own mode decides).
    pub outcome: &'a str,
    /// The deciding rules, as JSON (an array).
    pub rules: &'a Value,
    /// The sentence shown to people and to the agent.
    pub reason: &'a str,
    /// When, Unix ms.
    pub decided_at: i64,
}

/// A stored decision.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRow {
    /// Row id.
    pub id: i64,
    /// The slot.
    pub slot_id: String,
    /// Its role.
    pub role: String,
    /// The tool.
    pub tool: String,
    /// The tool's input.
    pub input: Value,
    /// The argument as matched.
    pub subject: String,
    /// `allow`, `deny`, `ask` or `defer`.
    pub outcome: String,
    /// The deciding rules.
    pub rules: Value,
    /// Why.
    pub reason: String,
    /// When, Unix ms.
    pub decided_at: i64,
}

const COLUMNS: &str = "id, slot_id, role, tool, input, subject, outcome, rules, reason, decided_at";

fn json_column(text: String) -> Value {
    // The columns are checked to be JSON; a bad one reads as null rather than failing.
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<DecisionRow> {
    Ok(DecisionRow {
        id: r.get(0)?,
        slot_id: r.get(1)?,
        role: r.get(2)?,
        tool: r.get(3)?,
        input: json_column(r.get(4)?),
        subject: r.get(5)?,
        outcome: r.get(6)?,
        rules: json_column(r.get(7)?),
        reason: r.get(8)?,
        decided_at: r.get(9)?,
    })
}

impl Store {
    /// Records a decision; returns its id.
    pub fn insert_decision(&self, d: &NewDecision<'_>) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.prepare_cached(
            "INSERT INTO permission_decisions
                 (slot_id, role, tool, input, subject, outcome, rules, reason, decided_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                d.slot_id,
                d.role,
                d.tool,
                d.input.to_string(),
                d.subject,
                d.outcome,
                d.rules.to_string(),
                d.reason,
                d.decided_at
            ])
        })
        .map_err(query_err("recording a permission decision"))?;
        Ok(conn.last_insert_rowid())
    }

    /// The last `limit` decisions, for `slot` or for every slot, oldest first.
    pub fn recent_decisions(
        &self,
        slot: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DecisionRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM permission_decisions
                 WHERE ?1 IS NULL OR slot_id = ?1
                 ORDER BY id DESC LIMIT ?2"
            ))
            .map_err(query_err("reading permission decisions"))?;
        let mut rows = stmt
            .query_map(params![slot, limit], from_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(query_err("reading permission decisions"))?;
        rows.reverse();
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn decision<'a>(slot: &'a str, outcome: &'a str, input: &'a Value) -> NewDecision<'a> {
        NewDecision {
            slot_id: slot,
            role: "coder",
            tool: "Bash",
            input,
            subject: "rm -f victim.txt",
            outcome,
            rules: &Value::Null,
            reason: "denied by a rule",
            decided_at: 1_700_000_000_000,
        }
    }

    #[test]
    fn decisions_round_trip_and_filter_by_slot() {
        let store = Store::open_in_memory().expect("store");
        let input = json!({"command": "rm -f victim.txt"});
        let rules = json!([{"pattern": "Bash(rm *)", "list": "deny"}]);
        let mut first = decision("c1", "deny", &input);
        first.rules = &rules;
        store.insert_decision(&first).expect("insert");
        store
            .insert_decision(&decision("c2", "allow", &input))
            .expect("insert");
        store
            .insert_decision(&decision("c1", "ask", &input))
            .expect("insert");

        let c1 = store.recent_decisions(Some("c1"), 10).expect("read");
        let outcomes: Vec<&str> = c1.iter().map(|d| d.outcome.as_str()).collect();
        assert_eq!(outcomes, ["deny", "ask"]);
        assert_eq!(c1[0].input["command"], "rm -f victim.txt");
        assert_eq!(c1[0].rules[0]["pattern"], "Bash(rm *)");
        // Null rules are stored as JSON null, which is valid JSON.
        assert_eq!(c1[1].rules, Value::Null);

        let all = store.recent_decisions(None, 2).expect("read");
        let slots: Vec<&str> = all.iter().map(|d| d.slot_id.as_str()).collect();
        assert_eq!(slots, ["c2", "c1"], "the last two, oldest first");
    }

    #[test]
    fn an_unknown_outcome_is_refused_by_the_schema() {
        let store = Store::open_in_memory().expect("store");
        let input = json!({});
        assert!(
            store
                .insert_decision(&decision("c1", "maybe", &input))
                .is_err()
        );
    }
}
