//! Data sources: read-only views of the account.

pub mod endpoint_services;
pub mod network_check;
