//! Terraform numbers: arbitrary precision on the wire, kept exact here.

use std::fmt;

/// A Terraform number exactly as it arrived: msgpack carries an integer, a
/// float, or — when neither is exact — a decimal string (`0.1` comes as "0.1").
#[derive(Clone, Debug, PartialEq)]
pub enum Number {
    Int(i64),
    /// Only for integers above `i64::MAX`.
    UInt(u64),
    Float(f64),
    /// Decimal text, for values no binary type holds exactly.
    Decimal(String),
}

impl Number {
    /// The value as an `i64` when it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::UInt(u) => i64::try_from(*u).ok(),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            Number::Decimal(s) => s.parse().ok(),
            Number::Float(_) => None,
        }
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Self {
        Number::Int(i)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::UInt(u) => write!(f, "{u}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Decimal(s) => f.write_str(s),
        }
    }
}
