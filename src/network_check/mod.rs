//! "What would work privately in this VPC, and if not, why not": the check
//! behind the data source `sagemaker_network_check` and the command
//! `terraform-provider-sagemaker check` — one code path for both.
//!
//! [`gather`] reads the VPC with a fixed number of AWS calls ([`AWS_CALLS`],
//! whatever the number of subnets, groups and endpoints); [`report`] is a
//! pure function of what was read and the [`Inputs`]; [`text`] renders a
//! report for people; [`cli`] is the command line.

pub mod cli;
pub mod gather;
pub mod report;
pub mod text;

pub use gather::{gather, Snapshot, AWS_CALLS};
pub use report::{check, InputProblem, Inputs, Report, WORKLOADS};

use crate::aws::Clients;

/// Why a check could not produce a report.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    /// Reading the VPC failed (not found, or an AWS error): the message.
    #[error("{0}")]
    Read(crate::aws::ec2::FindError),
    /// An input does not fit the VPC (a subnet or group of another VPC).
    #[error("{}", .0.detail)]
    Input(InputProblem),
}

/// Reads the VPC of `inputs` and checks it: the whole check.
pub async fn run(clients: &Clients, inputs: &Inputs) -> Result<Report, CheckError> {
    let snapshot = gather(&clients.ec2, &clients.region, &inputs.vpc_id)
        .await
        .map_err(CheckError::Read)?;
    check(&snapshot, inputs).map_err(CheckError::Input)
}
