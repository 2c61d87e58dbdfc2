//! Terraform's diagnostics as the CLI prints them, and the one way the tests
//! check that an error names the resource, points at the configuration line
//! at fault and says what to do.
//!
//! A diagnostic starts with `Error: SUMMARY` (or `Warning: SUMMARY`) at the
//! start of a line and runs to the next one. Without a terminal Terraform
//! draws no `╷ │ ╵` box; when it does, the box is taken off.

use super::one_line;

/// One printed diagnostic.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// `Error` or `Warning`.
    pub severity: String,
    pub summary: String,
    /// Every line after the summary, box drawing taken off.
    pub lines: Vec<String>,
}

impl Diagnostic {
    /// The lines after the summary on one line (Terraform wraps).
    pub fn text(&self) -> String {
        one_line(&self.lines.join(" "))
    }
}

/// Every diagnostic in `output`, in order.
pub fn diagnostics(output: &str) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> = Vec::new();
    for raw in output.lines() {
        let line = match raw.chars().next() {
            Some('╷' | '╵') => continue,
            Some('│') => raw.trim_start_matches('│').strip_prefix(' ').unwrap_or(""),
            _ => raw,
        };
        let header = ["Error", "Warning"].into_iter().find_map(|severity| {
            line.strip_prefix(severity)
                .and_then(|rest| rest.strip_prefix(": "))
                .map(|summary| (severity, summary))
        });
        match (header, found.last_mut()) {
            (Some((severity, summary)), _) => found.push(Diagnostic {
                severity: severity.to_owned(),
                summary: summary.trim().to_owned(),
                lines: Vec::new(),
            }),
            (None, Some(current)) => current.lines.push(line.to_owned()),
            (None, None) => {}
        }
    }
    found
}

/// The diagnostic of `severity` with `summary`; panics with the whole
/// output when there is none.
pub fn find(output: &str, severity: &str, summary: &str) -> Diagnostic {
    diagnostics(output)
        .into_iter()
        .find(|d| d.severity == severity && d.summary == summary)
        .unwrap_or_else(|| {
            panic!("no {severity} {summary:?} among the diagnostics; terraform said:\n{output}")
        })
}

/// The one error in `output`, which must have `summary`.
pub fn only_error(output: &str, summary: &str) -> Diagnostic {
    let errors: Vec<Diagnostic> = diagnostics(output)
        .into_iter()
        .filter(|d| d.severity == "Error")
        .collect();
    let summaries: Vec<&str> = errors.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [summary],
        "exactly this error; terraform said:\n{output}"
    );
    errors.into_iter().next().expect("one error")
}

/// Where a diagnostic must point and what it must say.
pub struct Expect<'a> {
    /// The resource address, e.g. `sagemaker_private_network.this`.
    pub resource: &'a str,
    /// Picks the one line of `main.tf` the diagnostic must point at.
    pub line: &'a str,
    /// What the detail must say (whitespace-insensitive).
    pub says: &'a [&'a str],
}

/// Asserts that `diag` names `expect.resource`, points at the line of
/// `main_tf` holding `expect.line` and quotes it, and says each of
/// `expect.says`; returns the detail after the quoted line, on one line.
pub fn assert_points_at(diag: &Diagnostic, main_tf: &str, expect: &Expect<'_>) -> String {
    let body = diag.lines.join("\n");
    let hits: Vec<(usize, &str)> = main_tf
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains(expect.line))
        .map(|(i, l)| (i + 1, l))
        .collect();
    let [(number, text)] = hits[..] else {
        panic!(
            "{:?} must be on exactly one line of:\n{main_tf}",
            expect.line
        );
    };
    let position = |wanted: &str| {
        diag.lines
            .iter()
            .position(|l| one_line(l) == one_line(wanted))
    };
    assert!(
        position(&format!("with {},", expect.resource)).is_some(),
        "the diagnostic names {}:\n{body}",
        expect.resource
    );
    let (kind, name) = expect
        .resource
        .split_once('.')
        .expect("a resource address TYPE.NAME");
    let location = format!("on main.tf line {number}, in resource \"{kind}\" \"{name}\":");
    assert!(
        position(&location).is_some(),
        "the diagnostic points at main.tf line {number} ({text:?}):\n{body}\n--- main.tf ---\n{main_tf}"
    );
    let Some(quoted) = position(&format!("{number}: {text}")) else {
        panic!("the diagnostic quotes line {number} {text:?}:\n{body}");
    };
    let detail = one_line(&diag.lines[quoted + 1..].join(" "));
    for fragment in expect.says {
        assert!(
            detail.contains(&one_line(fragment)),
            "the diagnostic says {fragment:?}:\n{body}"
        );
    }
    detail
}
