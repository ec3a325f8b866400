//! What one side of the runner link sent and the other has not acknowledged yet.
//!
//! Items get sequence numbers from 1. An ack forgets everything up to it; a reconnect
//! resends everything after the peer's last ack. The buffer is bounded in bytes: past the
//! bound the oldest items go, and [`ReplayBuffer::since`] reports how much was lost, so a
//! daemon that stays away for long costs the host bounded memory.

use std::collections::VecDeque;

/// Unacknowledged items, oldest first.
#[derive(Debug, Clone)]
pub struct ReplayBuffer<T> {
    items: VecDeque<(u64, T, usize)>,
    bytes: usize,
    limit: usize,
    next_seq: u64,
    /// Items dropped for room (not acknowledged), and their bytes.
    dropped_through: u64,
    dropped_bytes: u64,
}

/// What to resend after the peer's last ack.
#[derive(Debug, PartialEq, Eq)]
pub struct Resend<'a, T> {
    /// Items after the ack that were dropped for room: the first one still held and
    /// the bytes lost, when any were.
    pub gap: Option<(u64, u64)>,
    /// The items to send again, in order.
    pub items: Vec<(u64, &'a T)>,
}

impl<T> ReplayBuffer<T> {
    /// An empty buffer holding at most `limit` bytes (at least the newest item is kept).
    pub fn new(limit: usize) -> Self {
        ReplayBuffer {
            items: VecDeque::new(),
            bytes: 0,
            limit,
            next_seq: 1,
            dropped_through: 0,
            dropped_bytes: 0,
        }
    }

    /// Keeps `item` of `size` bytes; returns its sequence number.
    pub fn push(&mut self, item: T, size: usize) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.items.push_back((seq, item, size));
        self.bytes += size;
        while self.bytes > self.limit && self.items.len() > 1 {
            if let Some((seq, _, size)) = self.items.pop_front() {
                self.bytes -= size;
                self.dropped_through = seq;
                self.dropped_bytes += size as u64;
            }
        }
        seq
    }

    /// Forgets everything up to and including `seq`.
    pub fn ack(&mut self, seq: u64) {
        while self.items.front().is_some_and(|(s, _, _)| *s <= seq) {
            if let Some((_, _, size)) = self.items.pop_front() {
                self.bytes -= size;
            }
        }
        if seq >= self.dropped_through {
            self.dropped_bytes = 0;
        }
    }

    /// Everything after `acked`, and whether some of it was dropped.
    pub fn since(&self, acked: u64) -> Resend<'_, T> {
        let gap = (self.dropped_through > acked && self.dropped_bytes > 0)
            .then(|| (self.dropped_through + 1, self.dropped_bytes));
        Resend {
            gap,
            items: self
                .items
                .iter()
                .filter(|(s, _, _)| *s > acked)
                .map(|(s, t, _)| (*s, t))
                .collect(),
        }
    }

    /// The sequence number the last pushed item got (0 before any).
    pub fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Items held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reconnect_gets_exactly_what_was_not_acknowledged() {
        let mut b = ReplayBuffer::new(1 << 20);
        for s in ["a", "b", "c", "d"] {
            b.push(s.to_string(), 1);
        }
        b.ack(2);
        let r = b.since(2);
        assert_eq!(r.gap, None);
        let got: Vec<_> = r.items.iter().map(|(s, t)| (*s, t.as_str())).collect();
        assert_eq!(got, vec![(3, "c"), (4, "d")]);
        // A peer that processed more than it acked (the ack was lost) gets less.
        let got: Vec<u64> = b.since(3).items.iter().map(|(s, _)| *s).collect();
        assert_eq!(got, vec![4]);
        assert_eq!(b.len(), 2);
        assert_eq!(b.last_seq(), 4);
    }

    #[test]
    fn past_the_bound_the_oldest_go_and_the_loss_is_reported() {
        let mut b = ReplayBuffer::new(10);
        for _ in 0..5 {
            b.push(vec![0u8; 4], 4);
        }
        // 5 items of 4 bytes, bound 10: the newest two stay.
        assert_eq!(b.len(), 2);
        assert_eq!(b.bytes(), 8);
        let r = b.since(0);
        assert_eq!(r.gap, Some((4, 12)));
        assert_eq!(r.items.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [4, 5]);
        // Once the peer acked past the drop, there is no gap any more.
        b.ack(4);
        assert_eq!(b.since(4).gap, None);
    }

    #[test]
    fn one_item_larger_than_the_bound_is_still_kept() {
        let mut b = ReplayBuffer::new(3);
        b.push("x", 1);
        b.push("huge", 100);
        assert_eq!(b.len(), 1);
        assert_eq!(b.since(0).items, vec![(2, &"huge")]);
    }
}
