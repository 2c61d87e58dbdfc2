#!/usr/bin/env bash
# The AWS CLI baseline of the composite benchmarks (bench/composites.rs): the
# objects of one composite per network, made, read back and deleted with one
# `aws ec2 …` call after another, the way the AWS documentation shows it —
# ids passed from one command to the next through `--query … --output text`,
# and a describe loop where the docs say "wait until the state is available"
# (the EC2 CLI has no waiter for VPC endpoints).
#
#   aws_cli_sequential.sh COMPOSITE NETWORKS_FILE
#
#   COMPOSITE      private-network   the hosting preset of sagemaker_private_network:
#                                    a security group (no egress, TCP 443 in from the
#                                    VPC CIDR), interface endpoints sagemaker.api and
#                                    sagemaker.runtime (two subnets, private DNS) and
#                                    an S3 gateway endpoint on the route table
#                  vpc-model-config  sagemaker_vpc_model_config with a model: a model security
#                                    group (no ingress; egress TCP 443 to the VPC CIDR and
#                                    to the S3 prefix list), an S3 gateway endpoint on the
#                                    route table, and a SageMaker model placed in the two
#                                    subnets with that group (network isolation on)
#                  studio-domain     sagemaker_studio_domain (VpcOnly, two user profiles,
#                                    home EFS deleted on destroy): the domain's group (HTTPS
#                                    out to the VPC CIDR and the S3 prefix list), a group per
#                                    user (all traffic to and from itself only), the endpoint
#                                    group (TCP 443 in from the domain's group), interface
#                                    endpoints sagemaker.api, sagemaker.runtime, Studio, sts
#                                    and logs (two subnets, private DNS) and an S3 gateway
#                                    endpoint, the domain (waited InService), the two
#                                    profiles (each waited InService); deleted in AWS's
#                                    order: profiles, domain (RetentionPolicy Delete), the
#                                    two NFS groups SageMaker made (rules revoked first),
#                                    endpoints, groups
#   NETWORKS_FILE  one network per line: VPC_ID SUBNET_A SUBNET_B ROUTE_TABLE_ID VPC_CIDR
#
# Phases, in order, each over every network: create (and wait until the
# endpoints are available), read (what a refresh needs), delete (and wait
# until the endpoints are gone). Prints one JSON line on stdout: seconds and
# AWS calls per phase, and what the read found, e.g.
#   {"create_s": 9.1, "read_s": 2.2, "delete_s": 4.0, "calls": {"create": 7, ...}, "found": {...}}
#
# Environment: AWS_ENDPOINT_URL (required: emulator only — this script makes
# billed VPC endpoints on a real account), AWS_REGION (default us-east-1),
# credentials as the CLI reads them, AWS_CLI (default <repo>/.venv/bin/aws,
# installed by `make bench` from requirements-bench.txt), BENCH_ROLE_ARN and
# BENCH_IMAGE (the model's execution role and image; the emulator checks
# neither), BENCH_STUDIO_ROLE_ARN (the Studio domain's default execution
# role; not checked either).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
aws_cli="${AWS_CLI:-$repo/.venv/bin/aws}"
region="${AWS_REGION:-us-east-1}"

usage() { echo "usage: $0 private-network|vpc-model-config|studio-domain NETWORKS_FILE" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
composite="$1"
networks_file="$2"
case "$composite" in private-network | vpc-model-config | studio-domain) ;; *) usage ;; esac
[[ -r "$networks_file" ]] || { echo "aws_cli_sequential: cannot read $networks_file" >&2; exit 2; }
[[ -n "${AWS_ENDPOINT_URL:-}" ]] || {
    echo "aws_cli_sequential: AWS_ENDPOINT_URL is not set; this benchmark runs against the emulator only" >&2
    exit 2
}
[[ -x "$aws_cli" ]] || { echo "aws_cli_sequential: $aws_cli is missing: run 'make bench' (installs requirements-bench.txt) or set AWS_CLI" >&2; exit 2; }

role_arn="${BENCH_ROLE_ARN:-arn:aws:iam::123456789012:role/SageMakerExecution}"
image="${BENCH_IMAGE:-123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1}"
studio_role_arn="${BENCH_STUDIO_ROLE_ARN:-arn:aws:iam::123456789012:role/SageMakerStudioExecution}"
# The Studio domain's user profiles.
studio_users=(user-1 user-2)

calls=0
# One `aws sagemaker` call; output in REPLY.
sagemaker() {
    calls=$((calls + 1))
    REPLY="$("$aws_cli" --region "$region" --output text sagemaker "$@")"
}
# One `aws ec2` call; its text output lands in REPLY (not a subshell, so the
# call count survives).
ec2() {
    calls=$((calls + 1))
    REPLY="$("$aws_cli" --region "$region" --output text ec2 "$@")"
}
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
tags() { echo "ResourceType=$1,Tags=[{Key=ManagedBy,Value=bench-aws-cli}]"; }

# Polls until every endpoint given is available.
wait_available() {
    while :; do
        ec2 describe-vpc-endpoints --vpc-endpoint-ids "$@" \
            --query "VpcEndpoints[?State!='available' && State!='Available'].VpcEndpointId"
        [[ -z "$REPLY" ]] && return
        sleep 1
    done
}

# Polls until every endpoint of the VPC is deleted (gone counts too).
wait_deleted() {
    while :; do
        ec2 describe-vpc-endpoints --filters "Name=vpc-id,Values=$1" \
            --query "VpcEndpoints[?State!='deleted' && State!='Deleted'].VpcEndpointId"
        [[ -z "$REPLY" ]] && return
        sleep 1
    done
}

# Made objects, one line per network: VPC_ID GROUP_ID [MODEL_NAME] ENDPOINT_ID...
# (studio-domain: VPC_ID DOMAIN_ID DOMAIN_GROUP ENDPOINT_GROUP USER_GROUP USER_GROUP ENDPOINT_ID...)
made=()

create_private_network() {
    local vpc="$1" subnet_a="$2" subnet_b="$3" table="$4" cidr="$5" group api runtime s3
    ec2 create-security-group --vpc-id "$vpc" --group-name "bench-endpoints-$vpc" \
        --description "SageMaker VPC endpoints: HTTPS from the VPC" \
        --tag-specifications "$(tags security-group)" --query GroupId
    group="$REPLY"
    ec2 revoke-security-group-egress --group-id "$group" \
        --ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]'
    ec2 authorize-security-group-ingress --group-id "$group" --protocol tcp --port 443 --cidr "$cidr"
    ec2 create-vpc-endpoint --vpc-id "$vpc" --vpc-endpoint-type Interface \
        --service-name "com.amazonaws.$region.sagemaker.api" \
        --subnet-ids "$subnet_a" "$subnet_b" --security-group-ids "$group" --private-dns-enabled \
        --tag-specifications "$(tags vpc-endpoint)" --query VpcEndpoint.VpcEndpointId
    api="$REPLY"
    ec2 create-vpc-endpoint --vpc-id "$vpc" --vpc-endpoint-type Interface \
        --service-name "com.amazonaws.$region.sagemaker.runtime" \
        --subnet-ids "$subnet_a" "$subnet_b" --security-group-ids "$group" --private-dns-enabled \
        --tag-specifications "$(tags vpc-endpoint)" --query VpcEndpoint.VpcEndpointId
    runtime="$REPLY"
    ec2 create-vpc-endpoint --vpc-id "$vpc" --vpc-endpoint-type Gateway \
        --service-name "com.amazonaws.$region.s3" --route-table-ids "$table" \
        --tag-specifications "$(tags vpc-endpoint)" --query VpcEndpoint.VpcEndpointId
    s3="$REPLY"
    wait_available "$api" "$runtime" "$s3"
    made+=("$vpc $group $api $runtime $s3")
}

create_vpc_model_config() {
    local vpc="$1" subnet_a="$2" subnet_b="$3" table="$4" cidr="$5" name="bench-$1" group prefix_list s3
    ec2 describe-prefix-lists --filters "Name=prefix-list-name,Values=com.amazonaws.$region.s3" \
        --query 'PrefixLists[0].PrefixListId'
    prefix_list="$REPLY"
    ec2 create-security-group --vpc-id "$vpc" --group-name "sagemaker-model-$name" \
        --description "SageMaker model: HTTPS to the VPC and S3 only" \
        --tag-specifications "$(tags security-group)" --query GroupId
    group="$REPLY"
    ec2 revoke-security-group-egress --group-id "$group" \
        --ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]'
    ec2 authorize-security-group-egress --group-id "$group" \
        --ip-permissions "IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=$cidr}]" \
        "IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{PrefixListId=$prefix_list}]"
    ec2 create-vpc-endpoint --vpc-id "$vpc" --vpc-endpoint-type Gateway \
        --service-name "com.amazonaws.$region.s3" --route-table-ids "$table" \
        --tag-specifications "$(tags vpc-endpoint)" --query VpcEndpoint.VpcEndpointId
    s3="$REPLY"
    wait_available "$s3"
    sagemaker create-model --model-name "$name" --execution-role-arn "$role_arn" \
        --primary-container "Image=$image,ModelDataUrl=s3://models/$name/model.tar.gz" \
        --vpc-config "SecurityGroupIds=$group,Subnets=$subnet_a,$subnet_b" \
        --enable-network-isolation --tags Key=ManagedBy,Value=bench-aws-cli
    made+=("$vpc $group $name $s3")
}

# Polls `aws sagemaker describe-… ARGS` until the object is InService.
wait_in_service() {
    while :; do
        sagemaker "$@" --query Status
        case "$REPLY" in
            InService) return ;;
            Failed | *_Failed) echo "aws_cli_sequential: $* is $REPLY" >&2; exit 1 ;;
        esac
        sleep 1
    done
}

# Polls `aws sagemaker describe-… ARGS` until it answers ResourceNotFound.
wait_gone() {
    local error
    while :; do
        calls=$((calls + 1))
        if error="$("$aws_cli" --region "$region" --output text sagemaker "$@" --query Status 2>&1 >/dev/null)"; then
            sleep 1
            continue
        fi
        [[ "$error" == *ResourceNotFound* ]] && return
        echo "$error" >&2
        exit 1
    done
}

create_studio_domain() {
    local vpc="$1" subnet_a="$2" subnet_b="$3" table="$4" cidr="$5" name="bench-$1"
    local prefix_list domain_group endpoint_group group user service domain i
    local user_groups=() endpoints=()
    ec2 describe-prefix-lists --filters "Name=prefix-list-name,Values=com.amazonaws.$region.s3" \
        --query 'PrefixLists[0].PrefixListId'
    prefix_list="$REPLY"
    # The domain's group: HTTPS out to the VPC (its endpoints) and to S3, nothing in.
    ec2 create-security-group --vpc-id "$vpc" --group-name "sagemaker-studio-$name-domain" \
        --description "SageMaker Studio domain: HTTPS to the VPC endpoints and S3 only" \
        --tag-specifications "$(tags security-group)" --query GroupId
    domain_group="$REPLY"
    ec2 revoke-security-group-egress --group-id "$domain_group" \
        --ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]'
    ec2 authorize-security-group-egress --group-id "$domain_group" \
        --ip-permissions "IpProtocol=tcp,FromPort=443,ToPort=443,IpRanges=[{CidrIp=$cidr}]" \
        "IpProtocol=tcp,FromPort=443,ToPort=443,PrefixListIds=[{PrefixListId=$prefix_list}]"
    # One group per user: all traffic to and from itself, nothing else.
    for user in "${studio_users[@]}"; do
        ec2 create-security-group --vpc-id "$vpc" --group-name "sagemaker-studio-$name-$user" \
            --description "SageMaker Studio user $user: traffic only to and from its apps" \
            --tag-specifications "$(tags security-group)" --query GroupId
        group="$REPLY"
        ec2 revoke-security-group-egress --group-id "$group" \
            --ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]'
        ec2 authorize-security-group-egress --group-id "$group" \
            --ip-permissions "IpProtocol=-1,UserIdGroupPairs=[{GroupId=$group}]"
        ec2 authorize-security-group-ingress --group-id "$group" \
            --ip-permissions "IpProtocol=-1,UserIdGroupPairs=[{GroupId=$group}]"
        user_groups+=("$group")
    done
    # The endpoints Studio needs in VpcOnly, in a group that admits HTTPS from the domain's.
    ec2 create-security-group --vpc-id "$vpc" --group-name "sagemaker-studio-$name-endpoints" \
        --description "SageMaker VPC endpoints: HTTPS from the Studio domain" \
        --tag-specifications "$(tags security-group)" --query GroupId
    endpoint_group="$REPLY"
    ec2 authorize-security-group-ingress --group-id "$endpoint_group" --protocol tcp --port 443 \
        --source-group "$domain_group"
    for service in "com.amazonaws.$region.sagemaker.api" "com.amazonaws.$region.sagemaker.runtime" \
        "aws.sagemaker.$region.studio" "com.amazonaws.$region.sts" "com.amazonaws.$region.logs"; do
        ec2 create-vpc-endpoint --vpc-id "$vpc" --vpc-endpoint-type Interface --service-name "$service" \
            --subnet-ids "$subnet_a" "$subnet_b" --security-group-ids "$endpoint_group" \
            --private-dns-enabled --tag-specifications "$(tags vpc-endpoint)" \
            --query VpcEndpoint.VpcEndpointId
        endpoints+=("$REPLY")
    done
    ec2 create-vpc-endpoint --vpc-id "$vpc" --vpc-endpoint-type Gateway \
        --service-name "com.amazonaws.$region.s3" --route-table-ids "$table" \
        --tag-specifications "$(tags vpc-endpoint)" --query VpcEndpoint.VpcEndpointId
    endpoints+=("$REPLY")
    wait_available "${endpoints[@]}"
    sagemaker create-domain --domain-name "$name" --auth-mode IAM --app-network-access-type VpcOnly \
        --vpc-id "$vpc" --subnet-ids "$subnet_a" "$subnet_b" \
        --default-user-settings "ExecutionRole=$studio_role_arn,SecurityGroups=$domain_group" \
        --tags Key=ManagedBy,Value=bench-aws-cli --query DomainArn
    domain="${REPLY##*/}"
    wait_in_service describe-domain --domain-id "$domain"
    for i in "${!studio_users[@]}"; do
        sagemaker create-user-profile --domain-id "$domain" --user-profile-name "${studio_users[$i]}" \
            --user-settings "SecurityGroups=${user_groups[$i]}" \
            --tags Key=ManagedBy,Value=bench-aws-cli --query UserProfileArn
        wait_in_service describe-user-profile --domain-id "$domain" --user-profile-name "${studio_users[$i]}"
    done
    made+=("$vpc $domain $domain_group $endpoint_group ${user_groups[*]} ${endpoints[*]}")
}

found_endpoints=0
found_groups=0
found_models=0
# What a refresh reads: the VPC's endpoints, the group, the model.
read_composite() {
    [[ "$composite" == studio-domain ]] && { read_studio_domain "$@"; return; }
    local vpc="$1" group="$2" model="$3"
    ec2 describe-vpc-endpoints --filters "Name=vpc-id,Values=$vpc" \
        --query "VpcEndpoints[?State=='available' || State=='Available'].VpcEndpointId"
    found_endpoints=$((found_endpoints + $(wc -w <<<"$REPLY")))
    ec2 describe-security-groups --group-ids "$group" --query 'SecurityGroups[].GroupId'
    found_groups=$((found_groups + $(wc -w <<<"$REPLY")))
    if [[ "$model" == bench-* ]]; then
        sagemaker describe-model --model-name "$model" --query ModelName
        found_models=$((found_models + 1))
    fi
}

delete_composite() {
    [[ "$composite" == studio-domain ]] && { delete_studio_domain "$@"; return; }
    local vpc="$1" group="$2"
    shift 2
    if [[ "$1" == bench-* ]]; then
        sagemaker delete-model --model-name "$1"
        shift
    fi
    ec2 delete-vpc-endpoints --vpc-endpoint-ids "$@"
    wait_deleted "$vpc"
    ec2 delete-security-group --group-id "$group"
}

# What a refresh of the domain reads: the domain and its profiles (both must
# be InService), the VPC's endpoints, the four groups.
read_studio_domain() {
    local vpc="$1" domain="$2" user
    shift 2
    local groups=("$1" "$2" "$3" "$4")
    sagemaker describe-domain --domain-id "$domain" --query Status
    [[ "$REPLY" == InService ]] || { echo "aws_cli_sequential: domain $domain is $REPLY" >&2; exit 1; }
    for user in "${studio_users[@]}"; do
        sagemaker describe-user-profile --domain-id "$domain" --user-profile-name "$user" --query Status
        [[ "$REPLY" == InService ]] || { echo "aws_cli_sequential: profile $user is $REPLY" >&2; exit 1; }
    done
    ec2 describe-vpc-endpoints --filters "Name=vpc-id,Values=$vpc" \
        --query "VpcEndpoints[?State=='available' || State=='Available'].VpcEndpointId"
    found_endpoints=$((found_endpoints + $(wc -w <<<"$REPLY")))
    ec2 describe-security-groups --group-ids "${groups[@]}" --query 'SecurityGroups[].GroupId'
    found_groups=$((found_groups + $(wc -w <<<"$REPLY")))
}

# Deletes the domain in AWS's order: profiles, the domain with its home EFS,
# the two NFS groups SageMaker made (each references the other: rules first),
# the endpoints, the groups (the endpoint group first: it references the
# domain's).
delete_studio_domain() {
    local vpc="$1" domain="$2" domain_group="$3" endpoint_group="$4" user_a="$5" user_b="$6"
    local user group nfs_groups
    shift 6
    for user in "${studio_users[@]}"; do
        sagemaker delete-user-profile --domain-id "$domain" --user-profile-name "$user"
        wait_gone describe-user-profile --domain-id "$domain" --user-profile-name "$user"
    done
    sagemaker delete-domain --domain-id "$domain" --retention-policy HomeEfsFileSystem=Delete
    wait_gone describe-domain --domain-id "$domain"
    ec2 describe-security-groups --filters "Name=vpc-id,Values=$vpc" \
        "Name=group-name,Values=security-group-for-inbound-nfs-$domain,security-group-for-outbound-nfs-$domain" \
        --query 'SecurityGroups[].GroupId'
    read -ra nfs_groups <<<"$REPLY"
    for group in "${nfs_groups[@]}"; do
        ec2 describe-security-groups --group-ids "$group" --query 'SecurityGroups[0].IpPermissions' --output json
        [[ "$(tr -d '[:space:]' <<<"$REPLY")" == "[]" ]] ||
            ec2 revoke-security-group-ingress --group-id "$group" --ip-permissions "$REPLY"
        ec2 describe-security-groups --group-ids "$group" --query 'SecurityGroups[0].IpPermissionsEgress' --output json
        [[ "$(tr -d '[:space:]' <<<"$REPLY")" == "[]" ]] ||
            ec2 revoke-security-group-egress --group-id "$group" --ip-permissions "$REPLY"
    done
    for group in "${nfs_groups[@]}"; do
        ec2 delete-security-group --group-id "$group"
    done
    ec2 delete-vpc-endpoints --vpc-endpoint-ids "$@"
    wait_deleted "$vpc"
    for group in "$endpoint_group" "$user_a" "$user_b" "$domain_group"; do
        ec2 delete-security-group --group-id "$group"
    done
}

mapfile -t networks < <(grep -v '^[[:space:]]*$' "$networks_file")

started="$(now)"
for network in "${networks[@]}"; do
    # shellcheck disable=SC2086 # one network: five words
    "create_${composite//-/_}" $network
done
create_calls=$calls create_s="$(seconds "$started" "$(now)")"

calls=0 started="$(now)"
for composite_ids in "${made[@]}"; do
    # shellcheck disable=SC2086
    read_composite $composite_ids
done
read_calls=$calls read_s="$(seconds "$started" "$(now)")"

calls=0 started="$(now)"
for composite_ids in "${made[@]}"; do
    # shellcheck disable=SC2086
    delete_composite $composite_ids
done
delete_calls=$calls delete_s="$(seconds "$started" "$(now)")"

printf '{"create_s": %s, "read_s": %s, "delete_s": %s, "calls": {"create": %d, "read": %d, "delete": %d}, "found": {"endpoints": %d, "groups": %d, "models": %d}}\n' \
    "$create_s" "$read_s" "$delete_s" "$create_calls" "$read_calls" "$delete_calls" \
    "$found_endpoints" "$found_groups" "$found_models"
