//! The terminal title (OSC 0/2): Claude Code puts a status glyph before its name.

use crate::event::Title;
use crate::rules::Rules;

/// Parse a raw title: a leading glyph from the rules' working or idle sets is split off.
pub fn parse_title(raw: &str, rules: &Rules) -> Title {
    let glyph_of = |set: &[String]| {
        set.iter()
            .find(|g| raw.starts_with(g.as_str()))
            .map(|g| raw[g.len()..].trim_start().to_string())
    };
    let (text, working) = if let Some(text) = glyph_of(&rules.title_working_glyphs) {
        (text, Some(true))
    } else if let Some(text) = glyph_of(&rules.title_idle_glyphs) {
        (text, Some(false))
    } else {
        (raw.to_string(), None)
    };
    Title {
        raw: raw.to_string(),
        text,
        working,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_say_working_or_not() {
        let r = Rules::builtin();
        let idle = parse_title("✳ Claude Code", &r);
        assert_eq!(
            (idle.text.as_str(), idle.working),
            ("Claude Code", Some(false))
        );
        let busy = parse_title("◐ Fix the tests", &r);
        assert_eq!(
            (busy.text.as_str(), busy.working),
            ("Fix the tests", Some(true))
        );
        let plain = parse_title("bash", &r);
        assert_eq!((plain.text.as_str(), plain.working), ("bash", None));
    }
}
