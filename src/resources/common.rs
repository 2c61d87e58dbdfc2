//! Pieces every composite resource shares: the `tags` / `tags_all`
//! attributes and the error for an account fact that could not be read.

use crate::aws::ec2::find::FindError;
use crate::framework::{AttrPath, Attribute, Diagnostics};
use crate::value::Type;

/// `tags`: tags for every object the resource creates.
pub fn tags_attribute() -> Attribute {
    Attribute::optional("tags", Type::map(Type::String)).description(
        "Tags for every object this resource creates, merged over the provider's `default_tags`.",
    )
}

/// `tags_all`: the tags applied, shown in the plan.
pub fn tags_all_attribute() -> Attribute {
    Attribute::computed("tags_all", Type::map(Type::String))
        .description("The tags applied: provider `default_tags` merged with `tags`.")
}

/// The error for a lookup the account checks made: a missing object is an
/// error on `attribute` (with `hint` on how to fix it); anything else says to
/// check the credentials and their Describe permissions on `services`
/// (e.g. "EC2", "EC2 and SageMaker").
pub fn lookup_error(e: FindError, attribute: &str, hint: &str, services: &str) -> Diagnostics {
    if e.is_not_found() {
        Diagnostics::from_attribute_error(
            AttrPath::root(attribute),
            "Not found",
            format!("{e}. {hint}").trim_end().to_owned(),
        )
    } else {
        Diagnostics::from_error(
            "Cannot check the network",
            format!("{e}. Check the credentials and their {services} Describe permissions."),
        )
    }
}
