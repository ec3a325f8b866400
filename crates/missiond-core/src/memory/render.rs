//! A range of stored messages as the text a memory slot reads: one block per message,
//! each cut to a share of the bound, the whole cut to the bound.

use crate::conversations::cap_text;

/// Most bytes of one message in an item's text.
const MESSAGE_BYTES: usize = 4 * 1024;

/// A stored message, as much as rendering needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMessage {
    /// `user`, `assistant` or `system`.
    pub role: String,
    /// `text`, `tool_use`, `tool_result`, `system`, `summary`.
    pub kind: String,
    /// Its text.
    pub text: String,
    /// The tool (tool_use, tool_result).
    pub tool_name: Option<String>,
}

/// The messages as text of at most `max_bytes`, and whether anything was cut.
pub fn render_messages(messages: &[RenderedMessage], max_bytes: usize) -> (String, bool) {
    let mut out = String::new();
    let mut cut = false;
    for m in messages {
        // Claude Code's bookkeeping lines (`turn_duration`, `stop_hook_summary`, ...),
        // stored as system messages, say nothing worth remembering.
        if m.role == "system" && m.kind == "system" {
            continue;
        }
        let head = match (m.kind.as_str(), &m.tool_name) {
            ("tool_use", Some(tool)) => format!("[{} called {tool}]", m.role),
            ("tool_result", Some(tool)) => format!("[result of {tool}]"),
            ("tool_result", None) => "[tool result]".to_string(),
            (kind, _) if kind != "text" => format!("[{} {kind}]", m.role),
            _ => format!("[{}]", m.role),
        };
        let (body, body_cut) = cap_text(m.text.trim(), MESSAGE_BYTES);
        cut |= body_cut;
        let block = format!(
            "{head}\n{body}{}\n\n",
            if body_cut { " …(cut)" } else { "" }
        );
        if out.len() + block.len() > max_bytes {
            let (rest, _) = cap_text(&block, max_bytes.saturating_sub(out.len()));
            out.push_str(rest);
            return (out, true);
        }
        out.push_str(&block);
    }
    (out, cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: &str, kind: &str, text: &str, tool: Option<&str>) -> RenderedMessage {
        RenderedMessage {
            role: role.into(),
            kind: kind.into(),
            text: text.into(),
            tool_name: tool.map(str::to_string),
        }
    }

    #[test]
    fn claude_codes_bookkeeping_lines_are_left_out() {
        let all = [
            msg("user", "text", "where are the logs?", None),
            msg("system", "system", "turn_duration", None),
            msg("system", "system", "stop_hook_summary", None),
            msg("assistant", "text", "Under /var/log/app.", None),
            msg("system", "summary", "The user asked about logs.", None),
        ];
        let (text, _) = render_messages(&all, 10_000);
        assert!(!text.contains("turn_duration"), "{text}");
        assert!(!text.contains("stop_hook_summary"), "{text}");
        assert!(text.contains("[assistant]\nUnder /var/log/app."), "{text}");
        assert!(text.contains("The user asked about logs."), "{text}");
    }

    #[test]
    fn messages_are_labelled_and_the_whole_is_bounded() {
        let all = [
            msg("user", "text", "how do I build?", None),
            msg(
                "assistant",
                "tool_use",
                "Bash {\"command\":\"make\"}",
                Some("Bash"),
            ),
            msg("user", "tool_result", "ok", Some("Bash")),
            msg("assistant", "text", "Run make.", None),
        ];
        let (text, cut) = render_messages(&all, 10_000);
        assert!(!cut);
        assert!(text.starts_with("[user]\nhow do I build?"), "{text}");
        assert!(text.contains("[assistant called Bash]\nBash"), "{text}");
        assert!(text.contains("[result of Bash]\nok"), "{text}");
        let (short, cut) = render_messages(&all, 30);
        assert!(cut);
        assert!(short.len() <= 30, "{}", short.len());
        let big = [msg("user", "text", &"é".repeat(10_000), None)];
        let (text, cut) = render_messages(&big, 100_000);
        assert!(cut && text.len() < 5_000 && text.ends_with("…(cut)\n\n"));
    }
}
