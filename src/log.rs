//! Logging as hclog JSON lines on stderr, the format Terraform parses from
//! a plugin: `TF_LOG_PROVIDER=DEBUG` (or `TF_LOG`) shows them, `TF_LOG_PATH`
//! stores them. Never pass a secret to these functions.

use serde_json::{Map, Value as Json};
use std::io::Write;
use std::sync::OnceLock;
use time::macros::format_description;
use time::OffsetDateTime;

/// Log levels, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    /// Parses a `TF_LOG`-style level name (any case); `JSON` means trace.
    pub fn parse(name: &str) -> Option<Level> {
        match name.trim().to_ascii_lowercase().as_str() {
            "trace" | "json" => Some(Level::Trace),
            "debug" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "warn" => Some(Level::Warn),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// The lowest level written: from `TF_LOG_PROVIDER`, else `TF_LOG`, else warn.
fn threshold() -> Level {
    static THRESHOLD: OnceLock<Level> = OnceLock::new();
    *THRESHOLD.get_or_init(|| {
        ["TF_LOG_PROVIDER", "TF_LOG"]
            .iter()
            .find_map(|var| std::env::var(var).ok().and_then(|v| Level::parse(&v)))
            .unwrap_or(Level::Warn)
    })
}

/// True when a message at `level` would be written.
pub fn enabled(level: Level) -> bool {
    level >= threshold()
}

/// Writes one log line with extra key/value fields.
pub fn log(level: Level, message: &str, fields: &[(&str, Json)]) {
    if !enabled(level) {
        return;
    }
    let line = format_line(level, message, fields, OffsetDateTime::now_utc());
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(line.as_bytes());
}

/// Logs at debug level.
pub fn debug(message: &str, fields: &[(&str, Json)]) {
    log(Level::Debug, message, fields);
}

/// Logs at info level.
pub fn info(message: &str, fields: &[(&str, Json)]) {
    log(Level::Info, message, fields);
}

/// Logs at warn level.
pub fn warn(message: &str, fields: &[(&str, Json)]) {
    log(Level::Warn, message, fields);
}

/// Logs at error level.
pub fn error(message: &str, fields: &[(&str, Json)]) {
    log(Level::Error, message, fields);
}

fn format_line(level: Level, message: &str, fields: &[(&str, Json)], at: OffsetDateTime) -> String {
    let stamp_format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    let mut object = Map::new();
    object.insert("@level".into(), level.name().into());
    object.insert("@message".into(), message.into());
    object.insert("@module".into(), "provider.sagemaker".into());
    if let Ok(stamp) = at.format(stamp_format) {
        object.insert("@timestamp".into(), stamp.into());
    }
    for (key, value) in fields {
        object.insert((*key).to_owned(), value.clone());
    }
    let mut line = Json::Object(object).to_string();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_hclog_json_with_six_fraction_digits() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_735_787_045_123_456_789).unwrap();
        let line = format_line(Level::Debug, "hello", &[("op", "DescribeVpcs".into())], at);
        let parsed: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "debug");
        assert_eq!(parsed["@message"], "hello");
        assert_eq!(parsed["@module"], "provider.sagemaker");
        assert_eq!(parsed["@timestamp"], "2025-01-02T03:04:05.123456Z");
        assert_eq!(parsed["op"], "DescribeVpcs");
        assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
    }

    #[test]
    fn level_names_parse_like_tf_log() {
        assert_eq!(Level::parse("DEBUG"), Some(Level::Debug));
        assert_eq!(Level::parse("json"), Some(Level::Trace));
        assert_eq!(Level::parse("nope"), None);
    }
}
