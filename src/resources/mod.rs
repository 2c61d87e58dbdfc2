//! Managed resources: the composites (each a set of AWS objects planned,
//! checked and applied as one) and the SageMaker model they place.

pub mod common;
pub mod composite;
pub mod model;
pub mod policy_principals;
pub mod private_network;
pub mod studio_domain;
pub mod vpc_model_config;
