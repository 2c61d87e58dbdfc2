"""The floor of the composite benchmarks (bench/composites.rs): the objects of
one composite per network, made, read back and deleted with boto3 using only
the calls that are necessary, all at once — every network concurrently and,
inside a network, every call whose inputs are known concurrently.

    boto3_floor.py COMPOSITE NETWORKS_FILE

COMPOSITE and NETWORKS_FILE as for aws_cli_sequential.sh (same objects):
  private-network   security group (no egress, TCP 443 in from the VPC CIDR),
                    sagemaker.api + sagemaker.runtime interface endpoints, S3
                    gateway endpoint
  vpc-model-config  model security group (no ingress, egress TCP 443 to the
                    VPC CIDR and the S3 prefix list), S3 gateway endpoint, and a
                    SageMaker model in the two subnets with that group
  studio-domain     sagemaker_studio_domain (VpcOnly, two user profiles, home
                    EFS deleted on destroy): the domain's group, a group per
                    user, the endpoint group, sagemaker.api, sagemaker.runtime,
                    Studio, sts and logs interface endpoints and an S3 gateway,
                    the domain and its profiles (waited InService); deleted in
                    AWS's order, the two NFS groups SageMaker made included
  NETWORKS_FILE: one network per line, VPC_ID SUBNET_A SUBNET_B ROUTE_TABLE_ID VPC_CIDR

Dependency order is the only order kept: the group before the interface
endpoints that use it; the S3 gateway endpoint alongside the group; the rules
alongside the interface endpoints; one describe per network until its
endpoints are available (the emulator makes them available at once, so one
describe each); delete endpoints, wait until gone, then delete the group.
The Studio domain: every group, the S3 gateway and the prefix list at once;
then the rules, the interface endpoints and the domain (it needs only its
group); the profiles once the domain is InService. Delete: the profiles, the
domain and its NFS groups on one side, the endpoints and their group on the
other; the domain's and the users' groups last.

Prints one JSON line on stdout: seconds and AWS calls (HTTP requests sent,
counted by a botocore event hook) per phase, and what the read found.

Endpoint and credentials from the environment (AWS_ENDPOINT_URL required:
emulator only), Region from AWS_REGION (default us-east-1), the model's role
and image from BENCH_ROLE_ARN and BENCH_IMAGE, the Studio domain's default
role from BENCH_STUDIO_ROLE_ARN (the emulator checks none of them). Run with the
repository's venv: .venv/bin/python scripts/bench/boto3_floor.py ...
"""

import json
import logging
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from demo_network import ec2_client  # noqa: E402  (the demo's emulator client)

TAGS = [{"Key": "ManagedBy", "Value": "bench-boto3-floor"}]
POLL_SECONDS = 1.0
ROLE_ARN = os.environ.get("BENCH_ROLE_ARN", "arn:aws:iam::123456789012:role/SageMakerExecution")
IMAGE = os.environ.get("BENCH_IMAGE", "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1")
STUDIO_ROLE_ARN = os.environ.get(
    "BENCH_STUDIO_ROLE_ARN", "arn:aws:iam::123456789012:role/SageMakerStudioExecution"
)
STUDIO_USERS = ["user-1", "user-2"]
STUDIO_SERVICES = [
    "com.amazonaws.{region}.sagemaker.api",
    "com.amazonaws.{region}.sagemaker.runtime",
    "aws.sagemaker.{region}.studio",
    "com.amazonaws.{region}.sts",
    "com.amazonaws.{region}.logs",
]


class CallCounter:
    """Counts the HTTP requests a client sends (retries included)."""

    def __init__(self, *clients):
        self.count = 0
        self._lock = threading.Lock()
        for client in clients:
            client.meta.events.register("before-send", self._sent)

    def _sent(self, **_):
        with self._lock:
            self.count += 1

    def take(self):
        """The count since the last take."""
        with self._lock:
            count, self.count = self.count, 0
        return count


def tag_spec(resource_type):
    return [{"ResourceType": resource_type, "Tags": TAGS}]


def all_at_once(*calls):
    """Runs the zero-argument callables concurrently; returns their results."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result() for f in [pool.submit(c) for c in calls]]


def wait_available(ec2, endpoint_ids):
    """Describes the endpoints until all are available."""
    while True:
        endpoints = ec2.describe_vpc_endpoints(VpcEndpointIds=endpoint_ids)["VpcEndpoints"]
        if all(e["State"].lower() == "available" for e in endpoints):
            return
        time.sleep(POLL_SECONDS)


def wait_deleted(ec2, vpc_id):
    """Describes the VPC's endpoints until all are deleted (or gone)."""
    vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    while True:
        endpoints = ec2.describe_vpc_endpoints(Filters=vpc)["VpcEndpoints"]
        if all(e["State"].lower() == "deleted" for e in endpoints):
            return
        time.sleep(POLL_SECONDS)


class PrivateNetwork:
    """The hosting preset of sagemaker_private_network."""

    @staticmethod
    def create(clients, region, vpc, subnet_a, subnet_b, table, cidr):
        ec2 = clients.ec2

        def group():
            return ec2.create_security_group(
                VpcId=vpc,
                GroupName=f"bench-endpoints-{vpc}",
                Description="SageMaker VPC endpoints: HTTPS from the VPC",
                TagSpecifications=tag_spec("security-group"),
            )["GroupId"]

        def interface(service, group_id):
            return lambda: ec2.create_vpc_endpoint(
                VpcId=vpc,
                VpcEndpointType="Interface",
                ServiceName=f"com.amazonaws.{region}.{service}",
                SubnetIds=[subnet_a, subnet_b],
                SecurityGroupIds=[group_id],
                PrivateDnsEnabled=True,
                TagSpecifications=tag_spec("vpc-endpoint"),
            )["VpcEndpoint"]["VpcEndpointId"]

        group_id, s3 = all_at_once(group, lambda: s3_gateway(ec2, region, vpc, table))
        _, _, api, runtime = all_at_once(
            lambda: revoke_default_egress(ec2, group_id),
            lambda: ec2.authorize_security_group_ingress(
                GroupId=group_id, IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp=cidr
            ),
            interface("sagemaker.api", group_id),
            interface("sagemaker.runtime", group_id),
        )
        wait_available(ec2, [api, runtime, s3])
        return Made(vpc, group_id, None, [api, runtime, s3])


class VpcModelConfig:
    """sagemaker_vpc_model_config with a model."""

    @staticmethod
    def create(clients, region, vpc, subnet_a, subnet_b, table, cidr):
        ec2 = clients.ec2
        name = f"bench-{vpc}"

        def prefix_list():
            return ec2.describe_prefix_lists(
                Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{region}.s3"]}]
            )["PrefixLists"][0]["PrefixListId"]

        def group():
            return ec2.create_security_group(
                VpcId=vpc,
                GroupName=f"sagemaker-model-{name}",
                Description="SageMaker model: HTTPS to the VPC and S3 only",
                TagSpecifications=tag_spec("security-group"),
            )["GroupId"]

        prefix_list_id, group_id, s3 = all_at_once(
            prefix_list, group, lambda: s3_gateway(ec2, region, vpc, table)
        )
        https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
        all_at_once(
            lambda: revoke_default_egress(ec2, group_id),
            lambda: ec2.authorize_security_group_egress(
                GroupId=group_id,
                IpPermissions=[
                    {**https, "IpRanges": [{"CidrIp": cidr}]},
                    {**https, "PrefixListIds": [{"PrefixListId": prefix_list_id}]},
                ],
            ),
            lambda: clients.sagemaker.create_model(
                ModelName=name,
                ExecutionRoleArn=ROLE_ARN,
                PrimaryContainer={
                    "Image": IMAGE,
                    "ModelDataUrl": f"s3://models/{name}/model.tar.gz",
                },
                VpcConfig={"SecurityGroupIds": [group_id], "Subnets": [subnet_a, subnet_b]},
                EnableNetworkIsolation=True,
                Tags=TAGS,
            ),
            lambda: wait_available(ec2, [s3]),
        )
        return Made(vpc, group_id, name, [s3])


class StudioDomain:
    """sagemaker_studio_domain: VpcOnly, two user profiles, home EFS deleted on destroy."""

    @staticmethod
    def create(clients, region, vpc, subnet_a, subnet_b, table, cidr):
        ec2, sagemaker = clients.ec2, clients.sagemaker
        name = f"bench-{vpc}"

        def group(part, description):
            return lambda: ec2.create_security_group(
                VpcId=vpc,
                GroupName=f"sagemaker-studio-{name}-{part}",
                Description=description,
                TagSpecifications=tag_spec("security-group"),
            )["GroupId"]

        def prefix_list():
            return ec2.describe_prefix_lists(
                Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{region}.s3"]}]
            )["PrefixLists"][0]["PrefixListId"]

        prefix_list_id, domain_group, endpoint_group, s3, *user_groups = all_at_once(
            prefix_list,
            group("domain", "SageMaker Studio domain: HTTPS to the VPC endpoints and S3 only"),
            group("endpoints", "SageMaker VPC endpoints: HTTPS from the Studio domain"),
            lambda: s3_gateway(ec2, region, vpc, table),
            *(
                group(user, f"SageMaker Studio user {user}: traffic only to and from its apps")
                for user in STUDIO_USERS
            ),
        )
        https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}

        def interface(service):
            return lambda: ec2.create_vpc_endpoint(
                VpcId=vpc,
                VpcEndpointType="Interface",
                ServiceName=service.format(region=region),
                SubnetIds=[subnet_a, subnet_b],
                SecurityGroupIds=[endpoint_group],
                PrivateDnsEnabled=True,
                TagSpecifications=tag_spec("vpc-endpoint"),
            )["VpcEndpoint"]["VpcEndpointId"]

        def itself(group_id):
            return [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group_id}]}]

        def domain():
            domain_id = sagemaker.create_domain(
                DomainName=name,
                AuthMode="IAM",
                AppNetworkAccessType="VpcOnly",
                VpcId=vpc,
                SubnetIds=[subnet_a, subnet_b],
                DefaultUserSettings={
                    "ExecutionRole": STUDIO_ROLE_ARN,
                    "SecurityGroups": [domain_group],
                },
                Tags=TAGS,
            )["DomainArn"].rsplit("/", 1)[-1]
            wait_in_service(lambda: sagemaker.describe_domain(DomainId=domain_id))
            return domain_id

        def user_rules(group_id):
            return [
                lambda: revoke_default_egress(ec2, group_id),
                lambda: ec2.authorize_security_group_egress(
                    GroupId=group_id, IpPermissions=itself(group_id)
                ),
                lambda: ec2.authorize_security_group_ingress(
                    GroupId=group_id, IpPermissions=itself(group_id)
                ),
            ]

        results = all_at_once(
            domain,
            lambda: revoke_default_egress(ec2, domain_group),
            lambda: ec2.authorize_security_group_egress(
                GroupId=domain_group,
                IpPermissions=[
                    {**https, "IpRanges": [{"CidrIp": cidr}]},
                    {**https, "PrefixListIds": [{"PrefixListId": prefix_list_id}]},
                ],
            ),
            lambda: ec2.authorize_security_group_ingress(
                GroupId=endpoint_group,
                IpPermissions=[{**https, "UserIdGroupPairs": [{"GroupId": domain_group}]}],
            ),
            *(rule for g in user_groups for rule in user_rules(g)),
            *(interface(service) for service in STUDIO_SERVICES),
        )
        domain_id, interfaces = results[0], results[-len(STUDIO_SERVICES) :]
        endpoint_ids = [*interfaces, s3]

        def profile(user, group_id):
            def make():
                sagemaker.create_user_profile(
                    DomainId=domain_id,
                    UserProfileName=user,
                    UserSettings={"SecurityGroups": [group_id]},
                    Tags=TAGS,
                )
                wait_in_service(lambda: describe_profile(sagemaker, domain_id, user))

            return make

        all_at_once(
            lambda: wait_available(ec2, endpoint_ids),
            *(profile(u, g) for u, g in zip(STUDIO_USERS, user_groups)),
        )
        return StudioMade(vpc, domain_id, domain_group, endpoint_group, user_groups, endpoint_ids)

    @staticmethod
    def read(clients, made):
        """The domain and profiles (must be InService), the VPC's endpoints, the four groups."""
        ec2, sagemaker = clients.ec2, clients.sagemaker
        domain, endpoints, groups, *profiles = all_at_once(
            lambda: sagemaker.describe_domain(DomainId=made.domain_id),
            lambda: ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [made.vpc]}]),
            lambda: ec2.describe_security_groups(GroupIds=made.group_ids()),
            *((lambda u=u: describe_profile(sagemaker, made.domain_id, u)) for u in STUDIO_USERS),
        )
        for described in [domain, *profiles]:
            if described["Status"] != "InService":
                sys.exit(f"boto3_floor: {made.domain_id} has {described['Status']} objects at read")
        available = [e for e in endpoints["VpcEndpoints"] if e["State"].lower() == "available"]
        return len(available), len(groups["SecurityGroups"]), 0

    @staticmethod
    def delete(clients, made):
        ec2, sagemaker = clients.ec2, clients.sagemaker

        def profile(user):
            def remove():
                sagemaker.delete_user_profile(DomainId=made.domain_id, UserProfileName=user)
                wait_gone(lambda: describe_profile(sagemaker, made.domain_id, user))

            return remove

        def studio():
            all_at_once(*(profile(u) for u in STUDIO_USERS))
            sagemaker.delete_domain(
                DomainId=made.domain_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"}
            )
            wait_gone(lambda: sagemaker.describe_domain(DomainId=made.domain_id))
            names = [
                f"security-group-for-{way}-nfs-{made.domain_id}" for way in ("inbound", "outbound")
            ]
            nfs = ec2.describe_security_groups(
                Filters=[
                    {"Name": "vpc-id", "Values": [made.vpc]},
                    {"Name": "group-name", "Values": names},
                ]
            )["SecurityGroups"]
            revokes = [
                (lambda g=g, f=revoke, key=key: f(GroupId=g["GroupId"], IpPermissions=g[key]))
                for g in nfs
                for revoke, key in (
                    (ec2.revoke_security_group_ingress, "IpPermissions"),
                    (ec2.revoke_security_group_egress, "IpPermissionsEgress"),
                )
                if g[key]
            ]
            if revokes:
                all_at_once(*revokes)
            if nfs:
                all_at_once(*((lambda g=g: ec2.delete_security_group(GroupId=g)) for g in ids(nfs)))

        def endpoints():
            ec2.delete_vpc_endpoints(VpcEndpointIds=made.endpoint_ids)
            wait_deleted(ec2, made.vpc)
            ec2.delete_security_group(GroupId=made.endpoint_group)

        all_at_once(studio, endpoints)
        all_at_once(
            *(
                (lambda g=g: ec2.delete_security_group(GroupId=g))
                for g in [made.domain_group, *made.user_groups]
            )
        )


class StudioMade:
    """What one Studio domain composite made."""

    def __init__(self, vpc, domain_id, domain_group, endpoint_group, user_groups, endpoint_ids):
        self.vpc, self.domain_id, self.endpoint_ids = vpc, domain_id, endpoint_ids
        self.domain_group, self.endpoint_group = domain_group, endpoint_group
        self.user_groups = user_groups

    def group_ids(self):
        return [self.domain_group, self.endpoint_group, *self.user_groups]


def describe_profile(sagemaker, domain_id, user):
    """DescribeUserProfile of `user` in the domain."""
    return sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=user)


def ids(groups):
    """The ids of described security groups."""
    return [g["GroupId"] for g in groups]


def wait_in_service(describe):
    """Calls `describe` until the Status it answers is InService."""
    while True:
        status = describe()["Status"]
        if status == "InService":
            return
        if status.endswith("Failed"):
            raise RuntimeError(f"status {status}")
        time.sleep(POLL_SECONDS)


def wait_gone(describe):
    """Calls `describe` until it answers ResourceNotFound."""
    while True:
        try:
            describe()
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFound":
                return
            raise
        time.sleep(POLL_SECONDS)


def s3_gateway(ec2, region, vpc, table):
    """Creates the S3 gateway endpoint on `table`; returns its id."""
    return ec2.create_vpc_endpoint(
        VpcId=vpc,
        VpcEndpointType="Gateway",
        ServiceName=f"com.amazonaws.{region}.s3",
        RouteTableIds=[table],
        TagSpecifications=tag_spec("vpc-endpoint"),
    )["VpcEndpoint"]["VpcEndpointId"]


def revoke_default_egress(ec2, group_id):
    """Removes the allow-all egress rule every new group gets."""
    ec2.revoke_security_group_egress(
        GroupId=group_id,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )


class Made:
    """What one composite made: its VPC, group, model (or None), endpoints."""

    def __init__(self, vpc, group_id, model, endpoint_ids):
        self.vpc, self.group_id, self.model, self.endpoint_ids = vpc, group_id, model, endpoint_ids


class Clients:
    """The EC2 and SageMaker clients, counted together."""

    def __init__(self, endpoint_url, region):
        self.ec2 = ec2_client(endpoint_url, region)
        self.sagemaker = boto3.client(
            "sagemaker",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        )
        self.counter = CallCounter(self.ec2, self.sagemaker)


COMPOSITES = {
    "private-network": PrivateNetwork,
    "vpc-model-config": VpcModelConfig,
    "studio-domain": StudioDomain,
}


def read(clients, made):
    """What a refresh needs, concurrently: the VPC's endpoints, the group, the model."""
    if isinstance(made, StudioMade):
        return StudioDomain.read(clients, made)
    ec2 = clients.ec2
    calls = [
        lambda: ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [made.vpc]}]),
        lambda: ec2.describe_security_groups(GroupIds=[made.group_id]),
    ]
    if made.model:
        calls.append(lambda: clients.sagemaker.describe_model(ModelName=made.model))
    endpoints, groups, *model = all_at_once(*calls)
    available = [e for e in endpoints["VpcEndpoints"] if e["State"].lower() == "available"]
    return len(available), len(groups["SecurityGroups"]), len(model)


def delete(clients, made):
    if isinstance(made, StudioMade):
        return StudioDomain.delete(clients, made)
    ec2 = clients.ec2

    def endpoints():
        ec2.delete_vpc_endpoints(VpcEndpointIds=made.endpoint_ids)
        wait_deleted(ec2, made.vpc)

    if made.model:
        all_at_once(endpoints, lambda: clients.sagemaker.delete_model(ModelName=made.model))
    else:
        endpoints()
    ec2.delete_security_group(GroupId=made.group_id)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in COMPOSITES:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(COMPOSITES)} NETWORKS_FILE")
    endpoint_url = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint_url:
        sys.exit("boto3_floor: AWS_ENDPOINT_URL is not set; this benchmark runs against the emulator only")
    composite = COMPOSITES[sys.argv[1]]
    region = os.environ.get("AWS_REGION", "us-east-1")
    networks = [line.split() for line in Path(sys.argv[2]).read_text().splitlines() if line.strip()]
    # More threads than the default pool of 10 connections: keep urllib3 quiet about it.
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    clients = Clients(endpoint_url, region)
    result = {"calls": {}}

    def phase(name, work, items):
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=max(1, len(items))) as pool:
            out = list(pool.map(work, items))
        result[f"{name}_s"] = round(time.monotonic() - started, 3)
        result["calls"][name] = clients.counter.take()
        return out

    made = phase("create", lambda net: composite.create(clients, region, *net), networks)
    found = phase("read", lambda m: read(clients, m), made)
    phase("delete", lambda m: delete(clients, m), made)
    result["found"] = {
        "endpoints": sum(f[0] for f in found),
        "groups": sum(f[1] for f in found),
        "models": sum(f[2] for f in found),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
