//! Diagnostics: errors and warnings shown to the user, each optionally tied
//! to an attribute path. The summary says what is wrong; the detail says why
//! and what to do.

use super::path::AttrPath;
use std::fmt;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One message for the user.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttrPath>,
}

/// A list of diagnostics. Functions that can fail return
/// `Result<T, Diagnostics>` so that `?` carries every message up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self::default()
    }

    /// A list holding one error without a path.
    pub fn from_error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut diags = Self::new();
        diags.error(summary, detail);
        diags
    }

    /// A list holding one error at `path`.
    pub fn from_attribute_error(
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        let mut diags = Self::new();
        diags.attribute_error(path, summary, detail);
        diags
    }

    /// Adds an error that concerns the whole resource or provider.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, None);
    }

    /// Adds an error about the attribute at `path`.
    pub fn attribute_error(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Error, summary, detail, Some(path));
    }

    /// Adds a warning that concerns the whole resource or provider.
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }

    /// Adds a warning about the attribute at `path`.
    pub fn attribute_warning(
        &mut self,
        path: AttrPath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Warning, summary, detail, Some(path));
    }

    /// Moves every diagnostic of `other` into this list.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// `Err(self)` when there is an error, else `Ok(())` (warnings are dropped
    /// by the caller's choice: use [`Diagnostics::extend`] to keep them).
    pub fn into_result(self) -> Result<(), Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(())
        }
    }

    /// Appends `note` to the detail of the first error: advice that holds
    /// for every error of the list, written once. Nothing without errors.
    pub fn note_on_first_error(&mut self, note: &str) {
        if let Some(first) = self.0.iter_mut().find(|d| d.severity == Severity::Error) {
            first.detail = format!("{} {note}", first.detail.trim_end());
        }
    }

    /// True when there are no diagnostics at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over the diagnostics in order.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    fn push(
        &mut self,
        severity: Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: Option<AttrPath>,
    ) {
        self.0.push(Diagnostic {
            severity,
            summary: summary.into(),
            detail: detail.into(),
            path,
        });
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            let at = d
                .path
                .as_ref()
                .map(|p| format!(" (at {p})"))
                .unwrap_or_default();
            writeln!(f, "{:?}: {}{at}: {}", d.severity, d.summary, d.detail)?;
        }
        Ok(())
    }
}
