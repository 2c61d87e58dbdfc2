//! The one nothing-left check: what an emulator account holds that this
//! provider could have made — live VPC endpoints, security groups of this
//! provider (its tag or its name), SageMaker models. Taken before a
//! command, it tells what the command left behind.

use super::ec2_fixture::Fixture;
use super::sagemaker::model_names;
use std::collections::BTreeSet;

/// Names this provider gives its security groups.
const GROUP_NAME_PREFIX: &str = "sagemaker-";
/// The tag every object of this provider carries.
const MANAGED_BY_KEY: &str = "ManagedBy";

/// What an account holds, by id (models by name).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Holdings {
    pub endpoints: BTreeSet<String>,
    pub groups: BTreeSet<String>,
    pub models: BTreeSet<String>,
}

impl Holdings {
    /// What the account of `fx` holds now (an endpoint still deleting
    /// counts: it is not gone yet).
    pub fn of(fx: &Fixture) -> Holdings {
        Holdings {
            endpoints: fx.endpoints().into_iter().map(|e| e.id).collect(),
            groups: fx
                .groups()
                .into_iter()
                .filter(|g| {
                    g.name.starts_with(GROUP_NAME_PREFIX) || g.tags.contains_key(MANAGED_BY_KEY)
                })
                .map(|g| g.id)
                .collect(),
            models: model_names(fx).into_iter().collect(),
        }
    }

    /// Asserts that the account of `fx` holds nothing beyond `self`: only
    /// what is new counts (what is gone is the command's business).
    /// `context` ends the message: when, or what terraform said.
    pub fn assert_nothing_new(&self, fx: &Fixture, context: &str) {
        let now = Holdings::of(fx);
        let new = |before: &BTreeSet<String>, after: &BTreeSet<String>| -> Vec<String> {
            after.difference(before).cloned().collect()
        };
        let left = (
            new(&self.endpoints, &now.endpoints),
            new(&self.groups, &now.groups),
            new(&self.models, &now.models),
        );
        assert!(
            left.0.is_empty() && left.1.is_empty() && left.2.is_empty(),
            "left behind: endpoints {:?}, groups {:?}, models {:?}; {context}",
            left.0,
            left.1,
            left.2
        );
    }
}
