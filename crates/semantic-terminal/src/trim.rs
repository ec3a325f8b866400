//! `str::trim` and `str::trim_start`, quicker on screen rows.
//!
//! The standard versions decode and classify every character they look at. Screen rows
//! are indented with plain spaces and rarely hold other whitespace, so these skip the
//! spaces a byte at a time and check only the characters at the edges, falling back to
//! the standard versions when an edge is other whitespace. Results are always equal.

/// Quicker `trim` and `trim_start` for text read off the screen.
pub trait TrimRow {
    /// Equal to [`str::trim`].
    fn trim_row(&self) -> &str;
    /// Equal to [`str::trim_start`].
    fn trim_row_start(&self) -> &str;
}

/// Whether `c` is present and is not whitespace.
#[inline]
fn solid(c: Option<char>) -> bool {
    c.is_some_and(|c| !c.is_whitespace())
}

/// Whether `b` is a printable ASCII character other than a space (so a whole
/// character, and not whitespace).
#[inline]
fn graphic(b: Option<&u8>) -> bool {
    b.is_some_and(u8::is_ascii_graphic)
}

/// `s` after its leading plain spaces.
#[inline]
fn after_spaces(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| b == b' ').count();
    // Spaces are one byte each: `n` is on a character boundary.
    &s[n..]
}

/// [`TrimRow::trim_row`] when an edge of `rest` (`s` after its spaces) is not ASCII.
#[inline(never)]
fn trim_wide<'s>(s: &'s str, rest: &'s str) -> &'s str {
    if solid(rest.chars().next()) && solid(rest.chars().next_back()) {
        rest
    } else {
        s.trim()
    }
}

impl TrimRow for str {
    #[inline]
    fn trim_row(&self) -> &str {
        let rest = after_spaces(self);
        let bytes = rest.as_bytes();
        if graphic(bytes.first()) && graphic(bytes.last()) {
            rest
        } else {
            trim_wide(self, rest)
        }
    }

    #[inline]
    fn trim_row_start(&self) -> &str {
        let rest = after_spaces(self);
        if rest.is_empty() || graphic(rest.as_bytes().first()) || solid(rest.chars().next()) {
            rest
        } else {
            self.trim_start()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn edges_of_every_kind() {
        for s in [
            "",
            " ",
            "   ",
            "a",
            "  a",
            "a  ",
            "  a b  ",
            "\u{a0}a",
            " \u{a0} a",
            "a\u{a0}",
            " \t a",
            "  ⎿  out",
            "● Hi",
            " \u{3000}",
            "x\n",
            "  ─ \u{2003}",
        ] {
            assert_eq!(s.trim_row(), s.trim(), "{s:?}");
            assert_eq!(s.trim_row_start(), s.trim_start(), "{s:?}");
        }
    }

    proptest! {
        #[test]
        fn equal_to_std(s in "[ \\t\\u{a0}\\u{3000}a●⎿─]{0,12}") {
            prop_assert_eq!(s.trim_row(), s.trim());
            prop_assert_eq!(s.trim_row_start(), s.trim_start());
        }
    }
}
