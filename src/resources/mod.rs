//! Managed resources: each a composite of AWS objects planned, checked and
//! applied as one.

pub mod common;
pub mod private_network;
pub mod vpc_model_config;
