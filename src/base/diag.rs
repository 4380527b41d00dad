//! Diagnostics for files a person wrote: `FILE:LINE:COLUMN: message` plus a hint.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: u64,
    pub column: u64,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A problem at a value's position in the file; an empty hint is left out.
    pub fn at<T>(
        file: &str,
        at: &serde_saphyr::Spanned<T>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        let hint: String = hint.into();
        Diagnostic {
            file: file.to_string(),
            line: at.referenced.line(),
            column: at.referenced.column(),
            message: message.into(),
            hint: (!hint.is_empty()).then_some(hint),
        }
    }

    /// A problem with the file as a whole (it cannot be read, say).
    pub fn whole_file(file: &str, message: impl Into<String>, hint: Option<String>) -> Self {
        Diagnostic { file: file.to_string(), line: 0, column: 0, message: message.into(), hint }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)?;
        } else {
            write!(f, "{}: {}", self.file, self.message)?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Every problem found in one file, in file order.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn sort(&mut self) {
        self.0.sort_by_key(|d| (d.line, d.column));
        self.0.dedup();
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Show the offending source line with a caret under the column.
pub fn snippet(source: &str, d: &Diagnostic) -> Option<String> {
    if d.line == 0 {
        return None;
    }
    let text = source.lines().nth(usize::try_from(d.line - 1).ok()?)?;
    let col = usize::try_from(d.column.max(1) - 1).ok()?;
    let pad: String = text.chars().take(col).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    Some(format!("{:>5} | {text}\n      | {pad}^", d.line))
}
