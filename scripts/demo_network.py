"""Fixture network for the private-network demo (scripts/demo.sh).

Emulator only: creates a VPC 10.0.0.0/16 with DNS support and DNS hostnames
enabled (private DNS needs both) and two private subnets, 10.0.1.0/24 and
10.0.2.0/24, in the Region's first two Availability Zones. No internet
gateway and no NAT: the only way out is the VPC endpoints Terraform adds.

    demo_network.py create [--out-dir DIR]
        Prints {"vpc_id": ..., "subnet_ids": [...]} on stdout, or writes it
        to DIR/demo.auto.tfvars.json, which Terraform loads by itself.

    demo_network.py --verify-clean VPC_ID
        Exits 1 when the VPC still has a VPC endpoint that is not deleted,
        a security group other than the VPC's default one, a route to a VPC
        endpoint, a SageMaker model placed in its subnets or a Studio domain
        in it: `terraform destroy` must leave the bare fixture. Models and
        domains of other VPCs are not this VPC's leftovers.

Endpoint and Region come from --endpoint-url / --region, else from
AWS_ENDPOINT_URL / AWS_REGION (default us-east-1). Credentials are dummies
unless set in the environment: never point this at a real account, the
fixture is for the emulator.

Run with the repository's venv: .venv/bin/python scripts/demo_network.py ...
"""

import argparse
import json
import os
import sys
from pathlib import Path

import boto3

VPC_CIDR = "10.0.0.0/16"
SUBNET_CIDRS = ["10.0.1.0/24", "10.0.2.0/24"]
TAGS = [{"Key": "Project", "Value": "sagemaker-private-network-demo"}]


def ec2_client(endpoint_url, region):
    return client("ec2", endpoint_url, region)


def sagemaker_client(endpoint_url, region):
    return client("sagemaker", endpoint_url, region)


def client(service, endpoint_url, region):
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


def tag_spec(resource_type, name):
    return [{"ResourceType": resource_type, "Tags": TAGS + [{"Key": "Name", "Value": name}]}]


def create(ec2):
    """The VPC and its two private subnets, as Terraform variables."""
    vpc_id = ec2.create_vpc(
        CidrBlock=VPC_CIDR, TagSpecifications=tag_spec("vpc", "sagemaker-demo")
    )["Vpc"]["VpcId"]
    # One attribute per call: that is how the EC2 API takes them.
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})

    zones = sorted(
        z["ZoneName"]
        for z in ec2.describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}]
        )["AvailabilityZones"]
    )
    if len(zones) < len(SUBNET_CIDRS):
        sys.exit(f"demo_network: the Region has {len(zones)} zone(s), {len(SUBNET_CIDRS)} needed")

    subnet_ids = [
        ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=zone,
            TagSpecifications=tag_spec("subnet", f"sagemaker-demo-private-{zone}"),
        )["Subnet"]["SubnetId"]
        for cidr, zone in zip(SUBNET_CIDRS, zones)
    ]
    return {"vpc_id": vpc_id, "subnet_ids": subnet_ids}


def leftovers(ec2, vpc_id):
    """What is still in the VPC besides the fixture: endpoints, groups, routes."""
    vpc_filter = [{"Name": "vpc-id", "Values": [vpc_id]}]
    endpoints = [
        f"{e['VpcEndpointId']} ({e['ServiceName']}, {e['State']})"
        for e in ec2.describe_vpc_endpoints(Filters=vpc_filter)["VpcEndpoints"]
        # The emulator keeps deleted endpoints visible with State=deleted.
        if e["State"].lower() != "deleted"
    ]
    groups = [
        f"{g['GroupId']} ({g['GroupName']})"
        for g in ec2.describe_security_groups(Filters=vpc_filter)["SecurityGroups"]
        if g["GroupName"] != "default"
    ]
    routes = [
        f"{r.get('DestinationPrefixListId') or r.get('DestinationCidrBlock')} -> "
        f"{r['GatewayId']} in {t['RouteTableId']}"
        for t in ec2.describe_route_tables(Filters=vpc_filter)["RouteTables"]
        for r in t["Routes"]
        if r.get("GatewayId", "").startswith("vpce-")
    ]
    return {"VPC endpoint": endpoints, "security group": groups, "route": routes}


def leftover_models(ec2, sagemaker, vpc_id):
    """SageMaker models left in the (emulator) account placed in subnets of vpc_id."""
    subnets = {
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    }
    left = []
    for model in sagemaker.list_models()["Models"]:
        name = model["ModelName"]
        placed = sagemaker.describe_model(ModelName=name).get("VpcConfig", {}).get("Subnets", [])
        if subnets.intersection(placed):
            left.append(name)
    return left


def leftover_domains(sagemaker, vpc_id):
    """SageMaker Studio domains left in the (emulator) account in vpc_id."""
    return [
        f"{d['DomainId']} ({d['DomainName']})"
        for d in sagemaker.list_domains()["Domains"]
        if sagemaker.describe_domain(DomainId=d["DomainId"]).get("VpcId") == vpc_id
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["create"], default="create")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--out-dir", type=Path, help="write DIR/demo.auto.tfvars.json")
    parser.add_argument("--verify-clean", metavar="VPC_ID", help="check that VPC_ID is bare")
    args = parser.parse_args()
    ec2 = ec2_client(args.endpoint_url, args.region)

    if args.verify_clean:
        left = leftovers(ec2, args.verify_clean)
        sagemaker = sagemaker_client(args.endpoint_url, args.region)
        left["SageMaker model"] = leftover_models(ec2, sagemaker, args.verify_clean)
        left["Studio domain"] = leftover_domains(sagemaker, args.verify_clean)
        for what, items in left.items():
            for item in items:
                print(f"demo_network: {what} left in {args.verify_clean}: {item}", file=sys.stderr)
        if any(left.values()):
            sys.exit(1)
        print(f"{args.verify_clean} is clean: no VPC endpoint, no security group but "
              "'default', no route to an endpoint, no SageMaker model, no Studio domain")
        return

    if not args.endpoint_url:
        sys.exit("demo_network: refusing to create a VPC without --endpoint-url (emulator only)")
    network = create(ec2)
    text = json.dumps(network, indent=2)
    if args.out_dir:
        path = args.out_dir / "demo.auto.tfvars.json"
        path.write_text(text + "\n")
        print(f"demo_network: wrote {path}", file=sys.stderr)
    print(text)


if __name__ == "__main__":
    main()
