//! A small POSIX-shell lexer: enough of bash's grammar to cut a command line into simple
//! commands, remove quotes, and notice what it cannot see through.
//!
//! It is not a shell. It understands quotes (`'…'`, `"…"`, `$'…'`, backslashes, line
//! continuations), the list and pipeline operators (`;` `&&` `||` `|` `|&` `&` newline),
//! `(…)` subshells, `$(…)` / `` `…` `` / `<(…)` substitutions (whose commands are returned
//! as commands of their own), redirections (kept with their target words, see [`Redirect`]),
//! here-documents (their bodies skipped) and comments. `${…}` holding a substitution, a
//! here-document whose body runs a command substitution, unbalanced quotes or parentheses
//! are errors: the caller then asks.

use super::ShellError;

/// Nesting limit for substitutions, subshells and re-parsed strings (`bash -c`, `eval`).
pub(crate) const MAX_DEPTH: usize = 12;

/// One shell word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Word {
    /// The text after quote removal; expansions are kept as written (`$HOME`, `$(date)`).
    pub text: String,
    /// Holds an expansion whose value is unknown here (`$X`, `$(…)`, `` `…` ``, `<(…)`).
    pub dynamic: bool,
    /// Holds unquoted pathname or brace expansion (`*`, `?`, `[`, `{a,b}`).
    pub glob: bool,
    /// Char index in `text` where the first quoted or escaped character sits.
    pub first_quoted: Option<usize>,
    brace_open: bool,
}

impl Word {
    /// A plain word (used for words built from other text, e.g. `env -S`).
    pub(crate) fn plain(text: &str) -> Word {
        Word {
            text: text.to_string(),
            dynamic: text.contains('$') || text.contains('`'),
            ..Word::default()
        }
    }

    fn push(&mut self, c: char) {
        self.text.push(c);
    }

    fn push_quoted(&mut self, c: char) {
        if self.first_quoted.is_none() {
            self.first_quoted = Some(self.text.chars().count());
        }
        self.text.push(c);
    }

    /// `NAME=value` with an unquoted `NAME`: a variable assignment, not a command.
    pub(crate) fn is_assignment(&self) -> bool {
        let Some(eq) = self.text.find('=') else {
            return false;
        };
        let name = &self.text[..eq];
        let unquoted = self.first_quoted.is_none_or(|q| q > name.chars().count());
        unquoted
            && !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }

    fn is_fd_number(&self) -> bool {
        self.first_quoted.is_none()
            && !self.text.is_empty()
            && self.text.len() <= 2
            && self.text.chars().all(|c| c.is_ascii_digit())
    }
}

/// One redirection as written: `2>>log` is op `2>>`, target `log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Redirect {
    /// The operator with its leading fd number, if any (`>`, `2>>`, `&>`, `<>`, `>&`, `<<`).
    pub op: String,
    /// The target word (for `<<`, the here-document's delimiter).
    pub target: Word,
}

impl Redirect {
    /// `OPtarget`, the way it is shown in a command's text (`>/tmp/x`, `2>&1`).
    pub(crate) fn render(&self) -> String {
        format!("{}{}", self.op, self.target.text)
    }
}

/// A simple command as written: its words and its redirections (`>file`, `2>&1`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RawCommand {
    /// Words in order, redirections removed.
    pub words: Vec<Word>,
    /// Redirections in order.
    pub redirects: Vec<Redirect>,
    /// A redirection target holds an expansion.
    pub dynamic_redirect: bool,
}

/// A here-document whose body has not been read yet (bodies start at the next newline).
struct PendingHeredoc {
    delimiter: String,
    /// `<<-`: leading tabs are stripped from body lines and the delimiter line.
    strip_tabs: bool,
    /// A quoted delimiter: the body is literal (no expansion).
    quoted: bool,
}

/// Cuts `src` into simple commands, those inside substitutions and subshells included.
pub(crate) fn lex(src: &str, depth: usize) -> Result<Vec<RawCommand>, ShellError> {
    if depth > MAX_DEPTH {
        return Err(ShellError::TooDeep);
    }
    let mut lexer = Lexer {
        chars: src.chars().collect(),
        pos: 0,
        depth,
        out: Vec::new(),
    };
    lexer.list(false)?;
    Ok(lexer.out)
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    out: Vec<RawCommand>,
}

#[derive(Default)]
struct Builder {
    cmd: RawCommand,
    word: Option<Word>,
    pending_redirect: Option<String>,
    /// Here-documents opened on the current line, read at its newline.
    heredocs: Vec<PendingHeredoc>,
}

impl Builder {
    fn finish_word(&mut self) {
        let Some(word) = self.word.take() else {
            return;
        };
        match self.pending_redirect.take() {
            Some(op) => {
                let core = op.trim_start_matches(|c: char| c.is_ascii_digit());
                if core == "<<" || core == "<<-" {
                    self.heredocs.push(PendingHeredoc {
                        delimiter: word.text.clone(),
                        strip_tabs: core == "<<-",
                        quoted: word.first_quoted.is_some(),
                    });
                } else {
                    self.cmd.dynamic_redirect |= word.dynamic;
                }
                self.cmd.redirects.push(Redirect { op, target: word });
            }
            None => self.cmd.words.push(word),
        }
    }

    fn finish_command(&mut self, out: &mut Vec<RawCommand>) -> Result<(), ShellError> {
        self.finish_word();
        if self.pending_redirect.is_some() {
            return Err(ShellError::Syntax("redirection without a target"));
        }
        let cmd = std::mem::take(&mut self.cmd);
        if !cmd.words.is_empty() || !cmd.redirects.is_empty() {
            out.push(cmd);
        }
        Ok(())
    }
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn slice(&self, start: usize) -> String {
        self.chars[start..self.pos].iter().collect()
    }

    /// A command list, up to the end of input or (when `nested`) the closing `)`.
    fn list(&mut self, nested: bool) -> Result<(), ShellError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ShellError::TooDeep);
        }
        let mut b = Builder::default();
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\r' => {
                    self.pos += 1;
                    b.finish_word();
                }
                '&' if self.peek_at(1) == Some('>') => {
                    b.finish_word();
                    self.pos += 2;
                    let mut op = String::from("&>");
                    if self.peek() == Some('>') {
                        op.push('>');
                        self.pos += 1;
                    }
                    b.pending_redirect = Some(op);
                }
                '\n' => {
                    self.pos += 1;
                    b.finish_command(&mut self.out)?;
                    for doc in std::mem::take(&mut b.heredocs) {
                        self.heredoc_body(&doc)?;
                    }
                }
                ';' | '&' | '|' => {
                    self.pos += 1;
                    b.finish_command(&mut self.out)?;
                }
                '(' => {
                    self.pos += 1;
                    b.finish_command(&mut self.out)?;
                    self.list(true)?;
                }
                ')' => {
                    if !nested {
                        return Err(ShellError::Unbalanced(')'));
                    }
                    self.pos += 1;
                    b.finish_command(&mut self.out)?;
                    if !b.heredocs.is_empty() {
                        return Err(ShellError::Unterminated("here-document"));
                    }
                    self.depth -= 1;
                    return Ok(());
                }
                '<' | '>' => self.redirect(&mut b)?,
                '#' if b.word.is_none() => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                _ => {
                    let mut word = b.word.take().unwrap_or_default();
                    self.word_part(&mut word)?;
                    b.word = Some(word);
                }
            }
        }
        if nested {
            return Err(ShellError::Unbalanced('('));
        }
        b.finish_command(&mut self.out)?;
        if !b.heredocs.is_empty() {
            return Err(ShellError::Unterminated("here-document"));
        }
        self.depth -= 1;
        Ok(())
    }

    /// Skips a here-document's body (the lines up to its delimiter). The body is data fed
    /// to the command's stdin, not a command; but an unquoted delimiter lets `$(…)` and
    /// backticks in it run commands, which are not analysed: that is an error (ask).
    fn heredoc_body(&mut self, doc: &PendingHeredoc) -> Result<(), ShellError> {
        loop {
            if self.pos >= self.chars.len() {
                return Err(ShellError::Unterminated("here-document"));
            }
            let start = self.pos;
            while self.peek().is_some_and(|c| c != '\n') {
                self.pos += 1;
            }
            let line = self.slice(start);
            if self.peek() == Some('\n') {
                self.pos += 1;
            }
            let line = if doc.strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line.as_str()
            };
            if line == doc.delimiter {
                return Ok(());
            }
            if !doc.quoted && (line.contains("$(") || line.contains('`')) {
                return Err(ShellError::Unsupported(
                    "a command substitution in a here-document",
                ));
            }
        }
    }

    /// At `<` or `>`: a redirection operator (with an fd number just before it) or a
    /// process substitution.
    fn redirect(&mut self, b: &mut Builder) -> Result<(), ShellError> {
        let first = self.chars[self.pos];
        if self.peek_at(1) == Some('(') {
            let start = self.pos;
            self.pos += 2;
            self.list(true)?;
            let mut word = b.word.take().unwrap_or_default();
            word.text.push_str(&self.slice(start));
            word.dynamic = true;
            b.word = Some(word);
            return Ok(());
        }
        let mut op = match b.word.take() {
            Some(w) if w.is_fd_number() => w.text,
            other => {
                b.word = other;
                b.finish_word();
                String::new()
            }
        };
        if b.pending_redirect.is_some() {
            return Err(ShellError::Syntax("two redirection operators in a row"));
        }
        op.push(first);
        self.pos += 1;
        match (first, self.peek()) {
            ('<', Some('<')) => {
                op.push('<');
                self.pos += 1;
                if matches!(self.peek(), Some('<' | '-')) {
                    op.push(self.chars[self.pos]);
                    self.pos += 1;
                }
            }
            (_, Some(n @ '&')) | ('>', Some(n @ ('>' | '|'))) | ('<', Some(n @ '>')) => {
                op.push(n);
                self.pos += 1;
            }
            _ => {}
        }
        b.pending_redirect = Some(op);
        Ok(())
    }

    /// One piece of a word: a quoted run, an escape, an expansion or a plain character.
    fn word_part(&mut self, w: &mut Word) -> Result<(), ShellError> {
        let c = self.chars[self.pos];
        match c {
            '\\' => {
                self.pos += 1;
                match self.peek() {
                    None => w.push('\\'),
                    Some('\n') => self.pos += 1,
                    Some(n) => {
                        w.push_quoted(n);
                        self.pos += 1;
                    }
                }
            }
            '\'' => {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|c| c != '\'') {
                    self.pos += 1;
                }
                if self.peek().is_none() {
                    return Err(ShellError::Unterminated("'"));
                }
                if start == self.pos && w.first_quoted.is_none() {
                    w.first_quoted = Some(w.text.chars().count());
                }
                for c in self.slice(start).chars() {
                    w.push_quoted(c);
                }
                self.pos += 1;
            }
            '"' => {
                self.pos += 1;
                self.double_quoted(w)?;
            }
            '$' => self.dollar(w, false)?,
            '`' => self.backtick(w)?,
            '*' | '?' | '[' => {
                w.glob = true;
                w.push(c);
                self.pos += 1;
            }
            '{' | '}' => {
                if c == '{' {
                    w.brace_open = true;
                } else if w.brace_open {
                    w.glob = true;
                }
                w.push(c);
                self.pos += 1;
            }
            _ => {
                w.push(c);
                self.pos += 1;
            }
        }
        Ok(())
    }

    fn double_quoted(&mut self, w: &mut Word) -> Result<(), ShellError> {
        if w.first_quoted.is_none() {
            w.first_quoted = Some(w.text.chars().count());
        }
        loop {
            match self.peek() {
                None => return Err(ShellError::Unterminated("\"")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some('\\') => match self.peek_at(1) {
                    Some(n @ ('$' | '`' | '"' | '\\')) => {
                        w.push_quoted(n);
                        self.pos += 2;
                    }
                    Some('\n') => self.pos += 2,
                    _ => {
                        w.push_quoted('\\');
                        self.pos += 1;
                    }
                },
                Some('$') => self.dollar(w, true)?,
                Some('`') => self.backtick(w)?,
                Some(c) => {
                    w.push_quoted(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// At `$`: substitution, parameter, ANSI-C string or a literal dollar.
    fn dollar(&mut self, w: &mut Word, in_dq: bool) -> Result<(), ShellError> {
        let start = self.pos;
        match self.peek_at(1) {
            Some('(') => {
                // `$((…))` arithmetic is read as a substitution of a subshell: its text
                // never passes as an allowed command, and substitutions inside it are seen.
                self.pos += 2;
                self.list(true)?;
                w.text.push_str(&self.slice(start));
                w.dynamic = true;
            }
            Some('{') => {
                self.pos += 2;
                let mut depth = 1;
                while depth > 0 {
                    match self.peek() {
                        None => return Err(ShellError::Unterminated("${")),
                        Some('(' | '`') => {
                            return Err(ShellError::Unsupported("a substitution inside ${…}"));
                        }
                        Some('{') => depth += 1,
                        Some('}') => depth -= 1,
                        _ => {}
                    }
                    self.pos += 1;
                }
                w.text.push_str(&self.slice(start));
                w.dynamic = true;
            }
            Some('\'') if !in_dq => {
                self.pos += 2;
                self.ansi_c(w)?;
            }
            Some('"') if !in_dq => self.pos += 1,
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                self.pos += 1;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.pos += 1;
                }
                w.text.push_str(&self.slice(start));
                w.dynamic = true;
            }
            Some(c) if c.is_ascii_digit() || "@*#?-$!".contains(c) => {
                self.pos += 2;
                w.text.push_str(&self.slice(start));
                w.dynamic = true;
            }
            _ => {
                w.push('$');
                self.pos += 1;
            }
        }
        Ok(())
    }

    /// The body of `$'…'` (after the quote), decoding the usual escapes.
    fn ansi_c(&mut self, w: &mut Word) -> Result<(), ShellError> {
        if w.first_quoted.is_none() {
            w.first_quoted = Some(w.text.chars().count());
        }
        loop {
            let Some(c) = self.peek() else {
                return Err(ShellError::Unterminated("$'"));
            };
            self.pos += 1;
            match c {
                '\'' => return Ok(()),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(ShellError::Unterminated("$'"));
                    };
                    self.pos += 1;
                    let decoded = match e {
                        'n' => Some('\n'),
                        't' => Some('\t'),
                        'r' => Some('\r'),
                        'a' => Some('\x07'),
                        'b' => Some('\x08'),
                        'e' | 'E' => Some('\x1b'),
                        'f' => Some('\x0c'),
                        'v' => Some('\x0b'),
                        '\\' | '\'' | '"' | '?' => Some(e),
                        'x' => self.radix_char(16, 2),
                        'u' => self.radix_char(16, 4),
                        'U' => self.radix_char(16, 8),
                        '0'..='7' => {
                            self.pos -= 1;
                            self.radix_char(8, 3)
                        }
                        // `\cX` and friends: not decoded, so the word is not trusted.
                        _ => {
                            w.dynamic = true;
                            w.push_quoted('\\');
                            Some(e)
                        }
                    };
                    match decoded {
                        Some(d) => w.push_quoted(d),
                        None => w.dynamic = true,
                    }
                }
                c => w.push_quoted(c),
            }
        }
    }

    fn radix_char(&mut self, radix: u32, max: usize) -> Option<char> {
        let mut value: u32 = 0;
        let mut n = 0;
        while n < max {
            let Some(d) = self.peek().and_then(|c| c.to_digit(radix)) else {
                break;
            };
            value = value * radix + d;
            self.pos += 1;
            n += 1;
        }
        if n == 0 {
            return None;
        }
        char::from_u32(value)
    }

    /// At a backtick: the old-style substitution, parsed recursively.
    fn backtick(&mut self, w: &mut Word) -> Result<(), ShellError> {
        let start = self.pos;
        self.pos += 1;
        let mut inner = String::new();
        loop {
            match self.peek() {
                None => return Err(ShellError::Unterminated("`")),
                Some('`') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') => match self.peek_at(1) {
                    Some(n @ ('`' | '\\' | '$')) => {
                        inner.push(n);
                        self.pos += 2;
                    }
                    _ => {
                        inner.push('\\');
                        self.pos += 1;
                    }
                },
                Some(c) => {
                    inner.push(c);
                    self.pos += 1;
                }
            }
        }
        self.out.extend(lex(&inner, self.depth + 1)?);
        w.text.push_str(&self.slice(start));
        w.dynamic = true;
        Ok(())
    }
}
