//! Debouncing on the caller's clock: a newly read value must hold for `delay` seconds
//! before it is announced, so flicker (spinner frames, half-drawn redraws) never
//! becomes an event.

/// A value that changes only after a new reading has held long enough.
#[derive(Debug, Clone)]
pub struct Debouncer<T> {
    announced: T,
    since: f64,
    /// The newest differing reading and when it was first seen.
    candidate: Option<(T, f64)>,
}

/// An announced change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change<T> {
    pub prev: T,
    pub new: T,
    /// When the new value was first read.
    pub since: f64,
}

impl<T: Clone + PartialEq> Debouncer<T> {
    /// Start with `initial` announced at `t`.
    pub fn new(initial: T, t: f64) -> Self {
        Self {
            announced: initial,
            since: t,
            candidate: None,
        }
    }

    /// The screen reads `value` from `t` on.
    #[cfg(test)]
    pub fn observe(&mut self, t: f64, value: T) {
        self.observe_merging(t, value, |_, _| false);
    }

    /// Like [`Self::observe`], but a new candidate that `same_kind` as the pending one
    /// keeps the pending one's start: the change away from the announced value has held
    /// since then, only its detail moved (thinking, then answering).
    pub fn observe_merging(&mut self, t: f64, value: T, same_kind: impl Fn(&T, &T) -> bool) {
        if value == self.announced {
            self.candidate = None;
            return;
        }
        match &mut self.candidate {
            Some((c, _)) if *c == value => {}
            Some((c, _)) if same_kind(c, &value) => *c = value,
            _ => self.candidate = Some((value, t)),
        }
    }

    /// Announce the candidate if it has held for `delay` by time `t`.
    pub fn settle(&mut self, t: f64, delay: f64) -> Option<Change<T>> {
        let (_, since) = self.candidate.as_ref()?;
        if t < since + delay {
            return None;
        }
        let (value, since) = self.candidate.take()?;
        let prev = std::mem::replace(&mut self.announced, value.clone());
        self.since = since;
        Some(Change {
            prev,
            new: value,
            since,
        })
    }

    /// Announce `value` at once (process exit needs no debounce).
    pub fn force(&mut self, t: f64, value: T) -> Option<Change<T>> {
        self.candidate = None;
        if value == self.announced {
            return None;
        }
        let prev = std::mem::replace(&mut self.announced, value.clone());
        self.since = t;
        Some(Change {
            prev,
            new: value,
            since: t,
        })
    }

    /// When the pending candidate would be announced, if one is pending.
    pub fn deadline(&self, delay: f64) -> Option<f64> {
        self.candidate.as_ref().map(|(_, since)| since + delay)
    }

    pub fn announced(&self) -> &T {
        &self.announced
    }

    pub fn since(&self) -> f64 {
        self.since
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_must_hold_for_the_delay() {
        let mut d = Debouncer::new("idle", 0.0);
        d.observe(1.0, "busy");
        assert_eq!(d.deadline(0.5), Some(1.5));
        assert_eq!(d.settle(1.4, 0.5), None);
        let c = d.settle(1.5, 0.5).unwrap();
        assert_eq!((c.prev, c.new, c.since), ("idle", "busy", 1.0));
        assert_eq!(d.deadline(0.5), None);
        assert_eq!(*d.announced(), "busy");
    }

    #[test]
    fn flicker_back_cancels_and_a_new_value_restarts() {
        let mut d = Debouncer::new("idle", 0.0);
        d.observe(1.0, "busy");
        d.observe(1.1, "idle");
        assert_eq!(d.deadline(0.5), None);
        assert_eq!(d.settle(5.0, 0.5), None);
        d.observe(2.0, "busy");
        d.observe(2.2, "other");
        assert_eq!(d.deadline(0.5), Some(2.7));
        // Re-observing the same candidate keeps its start.
        d.observe(2.4, "other");
        assert_eq!(d.settle(2.7, 0.5).map(|c| c.new), Some("other"));
    }

    #[test]
    fn merged_kinds_keep_the_first_start() {
        let mut d = Debouncer::new(0, 0.0);
        let both_busy = |a: &i32, b: &i32| *a > 0 && *b > 0;
        d.observe_merging(1.0, 1, both_busy);
        d.observe_merging(1.1, 2, both_busy);
        let c = d.settle(1.5, 0.5).unwrap();
        assert_eq!((c.new, c.since), (2, 1.0));
        // A different kind restarts the clock.
        d.observe_merging(2.0, -1, both_busy);
        d.observe_merging(2.1, 3, both_busy);
        assert_eq!(d.deadline(0.5), Some(2.6));
    }

    #[test]
    fn force_is_immediate() {
        let mut d = Debouncer::new(1, 0.0);
        d.observe(1.0, 2);
        assert_eq!(d.force(1.1, 3).map(|c| c.new), Some(3));
        assert_eq!(d.deadline(0.5), None);
        assert_eq!(d.force(1.2, 3), None);
    }
}
