//! All-or-nothing writes: one SQLite transaction per state change.

use rusqlite::{Transaction, TransactionBehavior};

use super::{Store, StoreError, query_err};

impl Store {
    /// Runs `f` inside one transaction and commits when it returns `Ok`; an `Err` (or a
    /// panic, or a crash) leaves the database as it was. The transaction takes the write
    /// lock up front (`BEGIN IMMEDIATE`), so a read-then-write inside `f` cannot race
    /// another connection: a second writer waits (up to the busy timeout) instead of
    /// failing half-way.
    pub fn write<T, E>(
        &self,
        action: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(query_err(action))?;
        let value = f(&tx)?;
        tx.commit().map_err(query_err(action))?;
        Ok(value)
    }
}
