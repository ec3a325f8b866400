//! What a `health` value means: `http://…`/`https://…` is an HTTP GET, anything else
//! must be `host:port` (`[::1]:8080` for IPv6) and is a TCP connect.

/// A health endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthTarget {
    /// GET this URL (may hold `${secret:…}` references, resolved at probe time).
    Http {
        /// The URL as written.
        url: String,
    },
    /// Connect to this host and port.
    Tcp {
        /// Host name or IP address (IPv6 without brackets).
        host: String,
        /// Port.
        port: u16,
    },
}

/// Parses a `health` value; the error says what form was expected.
pub fn parse(text: &str) -> Result<HealthTarget, String> {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let rest = &text[text.find("://").map_or(0, |i| i + 3)..];
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() {
            return Err(format!("{text:?} has no host"));
        }
        if text.chars().any(char::is_whitespace) {
            return Err(format!("{text:?}: a URL has no spaces"));
        }
        return Ok(HealthTarget::Http {
            url: text.to_string(),
        });
    }
    if text.contains("://") {
        return Err(format!(
            "{text:?}: only http:// and https:// URLs, or host:port for a TCP check"
        ));
    }
    let (host, port) = text.rsplit_once(':').ok_or_else(|| {
        format!("{text:?} is neither an http(s):// URL nor host:port (for a TCP check)")
    })?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(format!("{text:?}: the host is missing or malformed"));
    }
    if host.contains(':') && !text.starts_with('[') {
        return Err(format!(
            "{text:?}: write an IPv6 address in brackets ([::1]:80)"
        ));
    }
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{text:?}: the port must be a number from 1 to 65535"))?;
    Ok(HealthTarget::Tcp {
        host: host.to_string(),
        port,
    })
}
