//! A [`Report`] as text for people: a table of workload, verdict, problem
//! and fix (long texts wrapped within their column), then the endpoints
//! found and the internet routes. Colours only when asked for.

use super::report::Report;
use std::fmt::Write;

/// Column widths: workload, verdict, problem (fix takes the rest).
const WIDTHS: [usize; 3] = [16, 22, 52];
/// Width of the fix column.
const FIX_WIDTH: usize = 48;

/// `text` in `code` colour when `colour` (ANSI SGR), else as is.
fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// Splits `text` into lines of at most `width` characters at spaces
/// (a longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Pads `cell` (whose visible length is `len`) to `width` plus two spaces.
fn pad(cell: &str, len: usize, width: usize) -> String {
    format!("{cell}{}", " ".repeat(width.saturating_sub(len) + 2))
}

/// The report as text; `colour` adds ANSI colours to verdicts.
pub fn render(report: &Report, colour: bool) -> String {
    let mut out = String::new();
    let private = report.results.values().filter(|r| r.private).count();
    let _ = writeln!(
        out,
        "{} in {}: {private} of {} workloads private\n",
        report.vpc_id,
        report.region,
        report.results.len()
    );
    let header = ["WORKLOAD", "VERDICT", "PROBLEM"];
    for (title, width) in header.iter().zip(WIDTHS) {
        out.push_str(&pad(title, title.len(), width));
    }
    out.push_str("FIX\n");
    let in_order = super::report::WORKLOADS
        .iter()
        .filter_map(|w| report.results.get_key_value(*w));
    for (name, result) in in_order {
        let verdict_text = if result.private {
            format!("private ({})", result.path)
        } else {
            format!("NOT PRIVATE ({})", result.path)
        };
        let verdict = paint(
            &verdict_text,
            if result.private { "32" } else { "1;31" },
            colour,
        );
        let mut first = true;
        let rows: Vec<(String, String)> = if result.problems.is_empty() {
            vec![(String::new(), String::new())]
        } else {
            result
                .problems
                .iter()
                .map(|p| {
                    (
                        format!("{} {}: {}", p.check, p.subject, p.detail),
                        p.fix.clone(),
                    )
                })
                .collect()
        };
        for (problem, fix) in rows {
            let problem_lines = wrap(&problem, WIDTHS[2]);
            let fix_lines = wrap(&fix, FIX_WIDTH);
            for i in 0..problem_lines.len().max(fix_lines.len()) {
                let (w, v) = if first && i == 0 {
                    (
                        name.as_str(),
                        (verdict.as_str(), verdict_text.chars().count()),
                    )
                } else {
                    ("", ("", 0))
                };
                let p = problem_lines.get(i).map_or("", String::as_str);
                let f = fix_lines.get(i).map_or("", String::as_str);
                let line = format!(
                    "{}{}{}{f}",
                    pad(w, w.chars().count(), WIDTHS[0]),
                    pad(v.0, v.1, WIDTHS[1]),
                    pad(p, p.chars().count(), WIDTHS[2]),
                );
                out.push_str(line.trim_end());
                out.push('\n');
            }
            first = false;
        }
    }
    if !report.endpoints.is_empty() {
        out.push_str("\nEndpoints:\n");
        for (name, e) in &report.endpoints {
            let dns = match (e.kind.as_str(), e.private_dns) {
                ("Gateway", _) => "gateway".to_owned(),
                (_, true) => "private DNS".to_owned(),
                (_, false) => "private DNS off".to_owned(),
            };
            let zones = if e.availability_zones.is_empty() {
                String::new()
            } else {
                e.availability_zones.join(" ")
            };
            let url = e
                .url
                .as_deref()
                .map(|u| format!("  {u}"))
                .unwrap_or_default();
            let line = format!("  {name:<22}{:<24}{dns:<17}{zones}{url}", e.id);
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    if !report.internet_routes.is_empty() {
        out.push_str("\nInternet routes:\n");
        for r in &report.internet_routes {
            let _ = writeln!(
                out,
                "  {} {} -> {} ({})",
                r.route_table_id,
                r.destination,
                r.target,
                r.subnet_ids.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("", 6), [""]);
        assert_eq!(wrap("abcdefgh", 4), ["abcdefgh"]);
    }

    #[test]
    fn colour_only_when_asked() {
        assert_eq!(paint("x", "32", false), "x");
        assert_eq!(paint("x", "32", true), "\x1b[32mx\x1b[0m");
    }
}
