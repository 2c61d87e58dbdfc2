//! The execution-role statement a model in a VPC needs: the EC2 network
//! interface actions, scoped to its subnets and groups.

use super::*;

/// The least-privilege IAM policy a SageMaker execution role needs to run
/// containers in a VPC: the read-only EC2 calls SageMaker makes to check the
/// network (which IAM cannot scope below `*`), and the network-interface
/// calls scoped to network interfaces of `account` in `region` — plus, for
/// CreateNetworkInterface, exactly `subnet_ids` and `security_group_ids`.
pub fn execution_role_network_policy(
    region: &str,
    account: &str,
    subnet_ids: &[String],
    security_group_ids: &[String],
) -> String {
    let partition = partition_of(region);
    let arn = |kind: &str, id: &str| format!("arn:{partition}:ec2:{region}:{account}:{kind}/{id}");
    let placement = subnet_ids.iter().map(|id| arn("subnet", id)).chain(
        security_group_ids
            .iter()
            .map(|id| arn("security-group", id)),
    );
    document(vec![
        json!({
            "Sid": "DescribeNetworkForVpcConfig",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcEndpoints",
                "ec2:DescribeVpcs",
            ],
            "Resource": "*",
        }),
        json!({
            "Sid": "ManageOwnNetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            "Resource": arn("network-interface", "*"),
        }),
        json!({
            "Sid": "AttachToConfiguredSubnetsAndGroups",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterface",
            "Resource": sorted_unique(placement),
        }),
    ])
}
