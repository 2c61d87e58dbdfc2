//! The `timeouts { create update delete }` block shared by every resource,
//! with durations written like Terraform's (`30s`, `10m`, `1h30m`). The
//! server bounds each whole create, update or delete by it (see
//! [`super::Context::time_left`]).

use super::validators::StringCheck;
use super::{Attribute, Block, NestedBlock};
use crate::value::{Type, Value};
use std::time::Duration;

/// The default for every operation.
pub const DEFAULT: Duration = Duration::from_secs(30 * 60);

const DURATION: StringCheck = StringCheck {
    rule: "must be a duration such as `30s`, `10m` or `1h30m`, at most `24h`",
    check: |text| parse(text).map(|_| ()),
};

/// The nested block.
pub fn block() -> NestedBlock {
    let attribute = |name: &'static str, what: &str| {
        Attribute::optional(name, Type::String)
            .description(format!("How long {what} may take (default `30m`)."))
            .validator(DURATION)
    };
    NestedBlock::single(
        "timeouts",
        Block::new("Time limits for the operations of this resource.")
            .attribute(attribute("create", "creating"))
            .attribute(attribute("update", "updating"))
            .attribute(attribute("delete", "deleting")),
    )
}

/// The configured limit of `operation` in a resource value, or the default.
pub fn of(value: &Value, operation: &str) -> Duration {
    value
        .get("timeouts")
        .and_then(|t| t.get(operation))
        .and_then(Value::as_str)
        .and_then(|text| parse(text).ok())
        .unwrap_or(DEFAULT)
}

/// `limit` written as in a configuration (`1h30m`, `45s`).
pub fn format(limit: Duration) -> String {
    let secs = limit.as_secs();
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut text = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            text.push_str(&format!("{n}{unit}"));
        }
    }
    if text.is_empty() {
        text.push_str("0s");
    }
    text
}

/// Parses `1h30m`, `45s`, `10m` into a duration.
pub fn parse(text: &str) -> Result<Duration, String> {
    let fix =
        || format!("{text:?} is not a duration: write it like \"30s\", \"10m\" or \"1h30m\".");
    let mut total = 0u64;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(fix()),
        };
        // Digits beyond u64 are a duration beyond any limit, not a typo.
        let n: u64 = digits.parse().unwrap_or(u64::MAX);
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .unwrap_or(u64::MAX);
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return Err(fix());
    }
    let limit = crate::limits::MAX_TIMEOUT;
    if total > limit.as_secs() {
        return Err(format!(
            "{text:?} is longer than {}, the longest this provider waits for any operation: \
             give a shorter duration such as \"2h\".",
            format(limit)
        ));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terraform_durations() {
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("45s").unwrap(), Duration::from_secs(45));
        for bad in ["", "10", "m", "5x", "0s"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_durations_beyond_a_day_without_overflowing() {
        assert_eq!(parse("24h").unwrap(), Duration::from_secs(86_400));
        for long in [
            "24h1s",
            "99999999999999h",
            "18446744073709551615h",
            "1h99999999999999999999s",
        ] {
            let err = parse(long).unwrap_err();
            assert!(err.contains("longer than 24h"), "{long}: {err}");
        }
    }
}
