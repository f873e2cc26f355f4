//! Rule errors: a char position, a message in Entra's words, what was expected, and a caret rendering.

/// What went wrong, for callers that branch on it (the UI highlights differently per kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleErrorKind {
    /// The rule is empty or only whitespace.
    Empty,
    /// The rule is longer than [`super::MAX_RULE_CHARS`].
    TooLong,
    /// A character or token that the grammar doesn't allow here.
    Syntax,
    /// A string with no closing quote.
    UnterminatedString,
    /// `user.<name>` that isn't a supported property ("Attribute not supported").
    UnknownProperty,
    /// An operator that doesn't apply to the property's type ("Operator isn't supported on attribute").
    UnsupportedOperator,
    /// Two expressions next to each other without `-and`/`-or` ("Query compilation error").
    MissingLogicalOperator,
    /// A `-match`/`-notMatch` pattern that doesn't compile ("Query compilation error").
    InvalidRegex,
    /// A value of the wrong shape for the operator or property (a list with `-eq`, `null` with `-contains`, ...).
    InvalidValue,
}

/// A rule that doesn't parse. `position` is a 0-based char offset into the rule text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct RuleError {
    pub position: usize,
    pub message: String,
    pub expected: Option<String>,
    pub kind: RuleErrorKind,
}

/// Lines longer than this are shown as a window around the error so the caret stays readable.
const WINDOW: usize = 100;

impl RuleError {
    pub(crate) fn new(kind: RuleErrorKind, position: usize, message: impl Into<String>) -> Self {
        RuleError {
            position,
            message: message.into(),
            expected: None,
            kind,
        }
    }

    pub(crate) fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    /// `"<message> at position N[; expected X]\n<rule line>\n<spaces>^"`: the caret sits under the
    /// char at `position` (one past the end for "unexpected end of rule").
    pub fn render(&self, text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let pos = self.position.min(chars.len());
        // The line holding the position, so multi-line rules point at the right line.
        let line_start = chars[..pos]
            .iter()
            .rposition(|&c| c == '\n')
            .map_or(0, |i| i + 1);
        let line_end = chars[pos..]
            .iter()
            .position(|&c| c == '\n' || c == '\r')
            .map_or(chars.len(), |i| pos + i);
        let mut from = line_start;
        let mut to = line_end;
        if to - from > WINDOW {
            from = pos.saturating_sub(WINDOW / 2).max(line_start);
            to = (from + WINDOW).min(line_end);
        }
        let mut line = String::new();
        let mut col = pos - from;
        if from > line_start {
            line.push('…');
            col += 1;
        }
        // Tabs would shift the caret by a terminal-dependent width.
        line.extend(
            chars[from..to]
                .iter()
                .map(|&c| if c == '\t' { ' ' } else { c }),
        );
        if to < line_end {
            line.push('…');
        }
        let mut out = self.to_string();
        if let Some(expected) = &self.expected {
            out.push_str("; expected ");
            out.push_str(expected);
        }
        out.push('\n');
        out.push_str(&line);
        out.push('\n');
        out.push_str(&" ".repeat(col));
        out.push('^');
        out
    }
}
