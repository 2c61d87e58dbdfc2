//! Attribute validators. Each has a description written for the docs
//! (lowercase, no trailing period, "must …") and adds an attribute-pathed
//! error when a known value breaks its rule. Unknown and null values are
//! never passed to a validator.

use super::diagnostics::Diagnostics;
use super::path::AttrPath;
use crate::value::Value;

/// A rule on one attribute value.
pub trait Validator: Send + Sync {
    /// The rule in docs form, e.g. "must be one of `a`, `b`".
    fn description(&self) -> String;
    /// Adds an error at `path` when `value` breaks the rule.
    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics);
}

/// The string must be one of a fixed list.
pub struct OneOf(pub &'static [&'static str]);

impl Validator for OneOf {
    fn description(&self) -> String {
        let names: Vec<String> = self.0.iter().map(|s| format!("`{s}`")).collect();
        format!("must be one of {}", names.join(", "))
    }

    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if !self.0.contains(&s) {
            let hint = did_you_mean(s, self.0.iter().copied());
            diags.attribute_error(
                path.clone(),
                format!("Unsupported value for {path}"),
                format!(
                    "{s:?} is not supported: {path} {}.{hint}",
                    self.description()
                ),
            );
        }
    }
}

/// `" Did you mean \"x\"?"` when `word` looks like a typo of candidate `x`,
/// else `" Did you mean \"x\" or \"y\"?"` when it starts candidates `x` and
/// `y` (`ecr` for `ecr_api`, `ecr_dkr`), else nothing: the end of an
/// "unknown value" message.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let meant = match suggest(word, candidates.iter().copied()) {
        Some(near) => vec![near],
        None => started_by(word, &candidates),
    };
    let quoted: Vec<String> = meant.iter().map(|m| format!("{m:?}")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => format!(" Did you mean {last}?"),
        Some((last, rest)) => format!(" Did you mean {} or {last}?", rest.join(", ")),
    }
}

/// The few candidates that begin with `word` (case aside): a name written
/// short. None when `word` is too short to tell, or begins too many.
fn started_by<'a>(word: &str, candidates: &[&'a str]) -> Vec<&'a str> {
    const MAX: usize = 4;
    let word = word.to_lowercase();
    if word.chars().count() < 3 {
        return Vec::new();
    }
    let started: Vec<&str> = candidates
        .iter()
        .copied()
        .filter(|c| {
            let c = c.to_lowercase();
            c.len() > word.len() && c.starts_with(&word)
        })
        .collect();
    if started.len() > MAX {
        return Vec::new();
    }
    started
}

/// The candidate closest to `word` when it looks like a typo of it (a few
/// letters wrong, case aside), for "did you mean …?" hints.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    // A third of the letters at most: "c" is no typo of "a".
    let allowed = (word.chars().count() / 3).min(3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A string checked by a function that explains what is wrong and how to fix it.
pub struct StringCheck {
    /// The rule in docs form.
    pub rule: &'static str,
    /// `Err(explanation)` when the string breaks the rule.
    pub check: fn(&str) -> Result<(), String>,
}

impl Validator for StringCheck {
    fn description(&self) -> String {
        self.rule.to_owned()
    }

    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else { return };
        if let Err(explanation) = (self.check)(s) {
            diags.attribute_error(
                path.clone(),
                format!("Invalid value for {path}"),
                explanation,
            );
        }
    }
}

/// A map of strings checked as a whole by a function that explains what is
/// wrong and how to fix it (e.g. a container environment against its limits).
pub struct MapCheck {
    /// The rule in docs form.
    pub rule: &'static str,
    /// `Err(explanation)` when the map breaks the rule.
    pub check: fn(&std::collections::BTreeMap<String, String>) -> Result<(), String>,
}

impl Validator for MapCheck {
    fn description(&self) -> String {
        self.rule.to_owned()
    }

    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Value::Map(entries) = value else { return };
        if !value.is_wholly_known() {
            return;
        }
        let map = entries
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
            .collect();
        if let Err(explanation) = (self.check)(&map) {
            diags.attribute_error(
                path.clone(),
                format!("Invalid value for {path}"),
                explanation,
            );
        }
    }
}

/// A whole number within bounds (inclusive).
pub struct IntBetween(pub i64, pub i64);

impl Validator for IntBetween {
    fn description(&self) -> String {
        format!("must be a whole number from {} to {}", self.0, self.1)
    }

    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let Value::Number(n) = value else { return };
        let ok = n.as_i64().is_some_and(|i| (self.0..=self.1).contains(&i));
        if !ok {
            diags.attribute_error(
                path.clone(),
                format!("Invalid value for {path}"),
                format!("{n} is out of range: {path} {}.", self.description()),
            );
        }
    }
}

/// A list, set or map with a number of elements within bounds (inclusive).
pub struct SizeBetween(pub usize, pub usize);

impl Validator for SizeBetween {
    fn description(&self) -> String {
        format!("must hold from {} to {} elements", self.0, self.1)
    }

    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let len = match value {
            Value::List(items) | Value::Set(items) => items.len(),
            Value::Map(entries) => entries.len(),
            _ => return,
        };
        if !(self.0..=self.1).contains(&len) {
            diags.attribute_error(
                path.clone(),
                format!("Wrong number of elements in {path}"),
                format!("{path} has {len} elements but {}.", self.description()),
            );
        }
    }
}

/// Applies a validator to every known element of a list, set or map.
pub struct Each<V>(pub V);

impl<V: Validator> Validator for Each<V> {
    fn description(&self) -> String {
        format!("each element {}", self.0.description())
    }

    fn validate(&self, path: &AttrPath, value: &Value, diags: &mut Diagnostics) {
        let known = |v: &&Value| !v.is_null() && !v.is_unknown();
        match value {
            Value::List(items) | Value::Set(items) => {
                for (i, item) in items.iter().enumerate().filter(|(_, v)| known(v)) {
                    self.0.validate(&path.index(i), item, diags);
                }
            }
            Value::Map(entries) => {
                for (key, item) in entries.iter().filter(|(_, v)| known(v)) {
                    self.0.validate(&path.key(key), item, diags);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Number;

    fn errors(v: &dyn Validator, value: Value) -> Vec<String> {
        let mut diags = Diagnostics::new();
        v.validate(&AttrPath::root("x"), &value, &mut diags);
        diags
            .iter()
            .map(|d| format!("{} | {}", d.summary, d.detail))
            .collect()
    }

    #[test]
    fn one_of_names_the_allowed_values() {
        let v = OneOf(&["a", "b"]);
        assert!(errors(&v, Value::String("a".into())).is_empty());
        let e = errors(&v, Value::String("c".into()));
        assert_eq!(
            e,
            vec!["Unsupported value for x | \"c\" is not supported: x must be one of `a`, `b`."]
        );
    }

    #[test]
    fn one_of_suggests_the_value_meant() {
        let v = OneOf(&["hosting", "training", "studio_vpc_only"]);
        let e = errors(&v, Value::String("hostng".into()));
        assert!(e[0].ends_with("Did you mean \"hosting\"?"), "{e:?}");
        let e = errors(&v, Value::String("zzz".into()));
        assert!(!e[0].contains("Did you mean"), "{e:?}");
        assert_eq!(
            suggest("Statment", ["Statement", "Version"]),
            Some("Statement")
        );
        assert_eq!(
            suggest("SAGEMAKER_API", ["sagemaker_api"]),
            Some("sagemaker_api")
        );
    }

    /// Regression (trial #10): a name written short ("ecr") is pointed at
    /// the names it starts, not left without a hint.
    #[test]
    fn did_you_mean_lists_the_names_a_short_word_starts() {
        let names = ["sagemaker_api", "ecr_api", "ecr_dkr", "s3", "sts"];
        assert_eq!(
            did_you_mean("ecr", names),
            " Did you mean \"ecr_api\" or \"ecr_dkr\"?"
        );
        assert_eq!(
            did_you_mean("sagemaker", names),
            " Did you mean \"sagemaker_api\"?"
        );
        // A typo wins over the longer names it also starts.
        assert_eq!(did_you_mean("ecr_ap", names), " Did you mean \"ecr_api\"?");
        assert_eq!(
            did_you_mean("sagemaker_runtim", crate::catalog::NAMES.iter().copied()),
            " Did you mean \"sagemaker_runtime\"?"
        );
        // Too short to tell, and a word that begins nothing: no hint.
        assert_eq!(did_you_mean("s", names), "");
        assert_eq!(did_you_mean("zzz", names), "");
        assert_eq!(
            did_you_mean("sagemaker", crate::catalog::NAMES.iter().copied()),
            " Did you mean \"sagemaker_api\", \"sagemaker_runtime\", \"sagemaker_runtime_fips\" or \
             \"sagemaker_metrics\"?"
        );
    }

    #[test]
    fn int_between_rejects_out_of_range_and_fractions() {
        let v = IntBetween(0, 3);
        assert!(errors(&v, Value::Number(Number::Int(3))).is_empty());
        assert_eq!(errors(&v, Value::Number(Number::Int(4))).len(), 1);
        assert_eq!(errors(&v, Value::Number(Number::Float(1.5))).len(), 1);
    }

    #[test]
    fn each_points_at_the_bad_element() {
        let v = Each(OneOf(&["a"]));
        let mut diags = Diagnostics::new();
        let list = Value::List(vec![Value::String("a".into()), Value::String("z".into())]);
        v.validate(&AttrPath::root("x"), &list, &mut diags);
        let d: Vec<_> = diags.iter().collect();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path.as_ref().unwrap().to_string(), "x[1]");
    }

    #[test]
    fn size_between_counts_elements() {
        let v = SizeBetween(1, 2);
        assert_eq!(errors(&v, Value::Set(vec![])).len(), 1);
        assert!(errors(&v, Value::Set(vec![Value::Null])).is_empty());
    }
}
