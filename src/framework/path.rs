//! Attribute paths: where in a configuration a diagnostic points.

use std::fmt;

/// One step of an [`AttrPath`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// An attribute or nested block by name.
    Attribute(String),
    /// An element of a map by key.
    Key(String),
    /// An element of a list by index.
    Index(i64),
}

/// A path to a value inside a resource configuration, such as
/// `assume_role[0].role_arn` or `endpoints.ec2`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttrPath {
    steps: Vec<PathStep>,
}

impl AttrPath {
    /// The path of a top-level attribute.
    pub fn root(name: &str) -> Self {
        AttrPath {
            steps: vec![PathStep::Attribute(name.to_owned())],
        }
    }

    /// This path, then the attribute `name` (of an object or block).
    pub fn attr(&self, name: &str) -> Self {
        self.with(PathStep::Attribute(name.to_owned()))
    }

    /// This path, then the map element `key`.
    pub fn key(&self, key: &str) -> Self {
        self.with(PathStep::Key(key.to_owned()))
    }

    /// This path, then the list element `index`.
    pub fn index(&self, index: usize) -> Self {
        self.with(PathStep::Index(index as i64))
    }

    /// The steps, outermost first.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    fn with(&self, step: PathStep) -> Self {
        let mut steps = self.steps.clone();
        steps.push(step);
        AttrPath { steps }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => f.write_str(name)?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{key:?}]")?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform_addresses() {
        let path = AttrPath::root("assume_role").index(0).attr("role_arn");
        assert_eq!(path.to_string(), "assume_role[0].role_arn");
        assert_eq!(
            AttrPath::root("tags").key("Name").to_string(),
            "tags[\"Name\"]"
        );
    }
}
