"""What a Studio domain leaves in the account besides itself, made in moto's
own EC2 and EFS backends so that EC2 and EFS calls see it.

- The home EFS file system, tagged `ManagedByAmazonSageMakerResource` = the
  domain ARN, with one mount target per Availability Zone of the domain's
  subnets (an EFS file system has at most one mount target per AZ).
- Two security groups in the domain's VPC,
  `security-group-for-inbound-nfs-<domain-id>` (on the mount targets; admits
  NFS from the outbound group) and `security-group-for-outbound-nfs-<domain-id>`
  (NFS out to the inbound group): each references the other.
- EC2 guards, as AWS answers `DependencyViolation`: a subnet holding an EFS
  mount target cannot be deleted; an NFS group cannot be deleted while another
  group's rule references it or a mount target uses it; a VPC cannot be
  deleted while an NFS group is left in it. moto itself deletes all three
  regardless. The guards cover only these objects, not moto's EC2 in general.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from moto.ec2.exceptions import DependencyViolationError, InvalidSubnetIdError, InvalidVPCIdError
from moto.ec2.models import ec2_backends
from moto.ec2.responses import EC2Response
from moto.efs.models import efs_backends
from moto.sagemaker.exceptions import ValidationError

# The tag SageMaker puts on the home EFS (terraform-provider-aws #20986, and
# the file systems people clean up by it).
MANAGED_BY_TAG = "ManagedByAmazonSageMakerResource"
NFS_PORT = "2049"


def nfs_group_names(domain_id: str) -> tuple[str, str]:
    """(inbound, outbound) group names, as SageMaker names them."""
    return (
        f"security-group-for-inbound-nfs-{domain_id}",
        f"security-group-for-outbound-nfs-{domain_id}",
    )


def check_network(account: str, region: str, vpc_id: str | None, subnet_ids: list[str]) -> None:
    """The VPC and subnets exist and every subnet is in the VPC.

    Assumed (not documented): AWS refuses bad network input up front with a
    ValidationException; the message here is the emulator's own.
    """
    ec2 = ec2_backends[account][region]
    if vpc_id:
        try:
            ec2.get_vpc(vpc_id)
        except InvalidVPCIdError:
            raise ValidationError(f"VPC {vpc_id} does not exist.")
    for subnet_id in subnet_ids:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except InvalidSubnetIdError:
            raise ValidationError(f"Subnet {subnet_id} does not exist.")
        if vpc_id and subnet.vpc_id != vpc_id:
            raise ValidationError(f"Subnet {subnet_id} is not in VPC {vpc_id}.")


def create_nfs_groups(account: str, region: str, domain_id: str, vpc_id: str) -> tuple[str, str]:
    """Makes the two NFS groups, each referencing the other; returns their ids."""
    ec2 = ec2_backends[account][region]
    inbound_name, outbound_name = nfs_group_names(domain_id)
    # Descriptions are the emulator's own: AWS's wording is not documented.
    inbound = ec2.create_security_group(
        inbound_name, f"NFS traffic from Studio apps to the home EFS of {domain_id}", vpc_id
    )
    outbound = ec2.create_security_group(
        outbound_name, f"NFS traffic from Studio apps of {domain_id} to its home EFS", vpc_id
    )
    ec2.authorize_security_group_ingress(
        inbound.id, "tcp", NFS_PORT, NFS_PORT, [], source_groups=[{"GroupId": outbound.id}], vpc_id=vpc_id
    )
    ec2.authorize_security_group_egress(
        outbound.id, "tcp", NFS_PORT, NFS_PORT, [], source_groups=[{"GroupId": inbound.id}], vpc_id=vpc_id
    )
    _nfs_groups(account, region).update({inbound.id, outbound.id})
    return inbound.id, outbound.id


def create_file_system(
    account: str, region: str, domain_id: str, domain_arn: str, kms_key_id: str | None
) -> str:
    """Makes the home EFS (encrypted, as CreateDomain documents); returns its id."""
    efs = efs_backends[account][region]
    fs = efs.create_file_system(
        creation_token=f"{domain_id}-home",
        performance_mode="generalPurpose",
        encrypted=True,
        kms_key_id=kms_key_id,
        throughput_mode="bursting",
        provisioned_throughput_in_mibps=0,
        availability_zone_name="",
        backup=False,
        tags=[{"Key": MANAGED_BY_TAG, "Value": domain_arn}],
    )
    return fs.file_system_id


def place_mount_targets(
    account: str, region: str, fs_id: str, subnet_ids: list[str], group_id: str | None
) -> None:
    """Gives `fs_id` a mount target in each AZ of `subnet_ids` and none elsewhere.

    Assumed: with two subnets in one AZ the mount target goes in the first;
    a mount target whose subnet left the domain is deleted.
    """
    efs, ec2 = efs_backends[account][region], ec2_backends[account][region]
    targets = [t for t in efs.mount_targets_by_id.values() if t.file_system_id == fs_id]
    for target in targets:
        if target.subnet_id not in subnet_ids:
            efs.delete_mount_target(target.mount_target_id)
    zones = {t.availability_zone_name for t in targets if t.subnet_id in subnet_ids}
    for subnet_id in subnet_ids:
        zone = ec2.get_subnet(subnet_id).availability_zone
        if zone not in zones:
            efs.create_mount_target(fs_id, subnet_id, security_groups=[group_id] if group_id else None)
            zones.add(zone)


def delete_file_system(account: str, region: str, fs_id: str) -> None:
    """Deletes the mount targets, then the file system (EFS refuses it otherwise)."""
    efs = efs_backends[account][region]
    for target in [t for t in efs.mount_targets_by_id.values() if t.file_system_id == fs_id]:
        efs.delete_mount_target(target.mount_target_id)
    if fs_id in efs.file_systems_by_id:
        efs.delete_file_system(fs_id)


def install_ec2_guards(lock: Any) -> None:
    """Wraps EC2 DeleteSubnet, DeleteSecurityGroup and DeleteVpc with the guards."""
    _guard("delete_subnet", _refuse_subnet, lock)
    _guard("delete_security_group", _refuse_group, lock)
    _guard("delete_vpc", _refuse_vpc, lock)


def _guard(action: str, refuse: Callable[[EC2Response], None], lock: Any) -> None:
    original = getattr(EC2Response, action)

    @functools.wraps(original)
    def guarded(self: EC2Response) -> Any:
        with lock:
            refuse(self)
            return original(self)

    setattr(EC2Response, action, guarded)


def _refuse_subnet(response: EC2Response) -> None:
    # EC2 DeleteSubnet: "You must terminate all running instances in the
    # subnet" — a subnet with network interfaces (here: EFS mount targets)
    # answers DependencyViolation.
    subnet_id = response._get_param("SubnetId")
    efs = efs_backends[response.current_account][response.region]
    if any(t.subnet_id == subnet_id for t in efs.mount_targets_by_id.values()):
        raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")


def _refuse_group(response: EC2Response) -> None:
    # EC2 DeleteSecurityGroup: a group referenced by another group's rule or
    # associated with a network interface answers DependencyViolation.
    ec2 = ec2_backends[response.current_account][response.region]
    group_id = response._get_param("GroupId")
    if not group_id:
        group = ec2.get_security_group_by_name_or_id(response._get_param("GroupName") or "")
        group_id = group.id if group else None
    if group_id not in _nfs_groups(response.current_account, response.region):
        return
    referenced = any(
        rule.source_group.get("GroupId") == group_id
        for other in ec2.describe_security_groups()
        if other.id != group_id
        for rule in [*other.ingress_rules, *other.egress_rules]
    )
    efs = efs_backends[response.current_account][response.region]
    attached = any(group_id in (t.security_groups or []) for t in efs.mount_targets_by_id.values())
    if referenced or attached:
        raise DependencyViolationError(f"resource {group_id} has a dependent object")


def _refuse_vpc(response: EC2Response) -> None:
    # EC2 DeleteVpc: "delete all security groups associated with the VPC
    # (except the default one)" first.
    vpc_id = response._get_param("VpcId")
    ec2 = ec2_backends[response.current_account][response.region]
    left = _nfs_groups(response.current_account, response.region) & set(ec2.groups.get(vpc_id, {}))
    if left:
        raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")


def _nfs_groups(account: str, region: str) -> set[str]:
    """Ids of the NFS groups made in this account and Region.

    Kept on moto's EC2 backend, so `/moto-api/reset` forgets them with the groups.
    """
    ec2 = ec2_backends[account][region]
    if not hasattr(ec2, "studio_nfs_groups"):
        ec2.studio_nfs_groups = set()
    return ec2.studio_nfs_groups
