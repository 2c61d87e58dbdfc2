//! Provider-defined functions (protocol 6, Terraform ≥ 1.8), called as
//! `provider::sagemaker::NAME(…)`: a signature declared as data, and a pure
//! call on known, non-null arguments (Terraform passes neither nulls nor
//! unknowns to the parameters declared here, and answers an unknown itself).

use crate::value::{Type, Value};

/// One positional parameter.
pub struct Parameter {
    /// The name shown in signatures and errors.
    pub name: &'static str,
    /// The type Terraform converts the argument to.
    pub ty: Type,
    /// Markdown, shown in docs and by language servers.
    pub description: &'static str,
}

/// Why a call failed: the text Terraform shows, and the argument at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// What is wrong and what to write instead.
    pub text: String,
    /// Zero-based index of the argument at fault, when there is one.
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error about argument `index` (zero-based).
    pub fn argument(index: usize, text: impl Into<String>) -> Self {
        FunctionError {
            text: text.into(),
            argument: Some(index),
        }
    }
}

/// A function of the provider.
pub trait Function: Send + Sync {
    /// The name after `provider::sagemaker::`.
    fn name(&self) -> &'static str;
    /// One line for listings.
    fn summary(&self) -> &'static str;
    /// Markdown: what it returns and when it fails.
    fn description(&self) -> &'static str;
    /// The positional parameters, in order.
    fn parameters(&self) -> Vec<Parameter>;
    /// The type of the result.
    fn return_type(&self) -> Type;
    /// Computes the result from arguments of the declared types.
    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError>;
}
