//! What a pure function of one row's text gave for texts seen recently.
//!
//! Claude Code moves rows around far more than it writes new ones: a scroll, a redraw
//! of the whole screen, a blinking bullet turning back on all show texts the screen
//! showed a moment ago, at another row or in another frame. A small table keyed by the
//! text itself (hashed to find its slot, then compared in full, so a hash collision
//! only costs a miss) answers those without working the value out again.

/// Slots in the table: a power of two. A few screens' worth of rows.
const SLOTS: usize = 256;

/// A multiplier with well-mixed bits (the one `FxHash` uses).
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A fast hash of `text`, eight bytes at a time. Only picks a slot: a match is always
/// confirmed by comparing the texts.
fn hash(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut h = 0u64;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        h = (h.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut tail = [0u8; 8];
        tail[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(SEED);
    }
    // The length last: texts that differ only by trailing zero bytes differ here.
    (h.rotate_left(5) ^ bytes.len() as u64).wrapping_mul(SEED)
}

/// A direct-mapped table from texts to values; the newest text wins its slot.
#[derive(Debug)]
pub struct TextMemo<V> {
    slots: Vec<Option<(String, V)>>,
}

impl<V> Default for TextMemo<V> {
    fn default() -> Self {
        Self { slots: Vec::new() }
    }
}

impl<V: Copy> TextMemo<V> {
    /// `compute(text)`, or what it gave the last time `text` held this slot.
    pub fn get_or(&mut self, text: &str, compute: impl FnOnce(&str) -> V) -> V {
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, || None);
        }
        let slot = &mut self.slots[(hash(text) >> 56) as usize % SLOTS];
        match slot {
            Some((seen, value)) if seen == text => *value,
            Some((seen, value)) => {
                // The slot's buffer is reused: no allocation once the table is warm.
                let v = compute(text);
                seen.clear();
                seen.push_str(text);
                *value = v;
                v
            }
            None => {
                let v = compute(text);
                *slot = Some((text.to_string(), v));
                v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_values_are_the_computed_ones() {
        let mut memo = TextMemo::default();
        let mut calls = 0;
        let mut len = |t: &str| {
            calls += 1;
            t.len()
        };
        let texts: Vec<String> = (0..600).map(|i| format!("row {i} ● text")).collect();
        for _ in 0..2 {
            for t in &texts {
                assert_eq!(memo.get_or(t, &mut len), t.len());
            }
        }
        // Far more texts than slots: the second pass recomputes at least some of them.
        assert!(calls > texts.len());
        let mut again = 0;
        assert_eq!(
            memo.get_or("row 599 ● text", |t| {
                again += 1;
                t.len()
            }),
            16
        );
        assert_eq!(again, 0, "the newest text is remembered");
    }

    #[test]
    fn hash_depends_on_every_byte() {
        assert_ne!(hash("abcdefgh1"), hash("abcdefgh2"));
        assert_ne!(hash("abc"), hash("abc\0"));
        assert_ne!(hash(""), hash(" "));
    }
}
