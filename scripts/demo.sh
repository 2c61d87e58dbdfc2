#!/usr/bin/env bash
# The demo behind `make demo`: installs the freshly built provider into a
# throw-away filesystem mirror (no registry access needed), then runs
# terraform init, plan, apply, output and destroy on the examples.
#
#   DEMO_TARGET=emulator (default)  the local AWS emulator (moto with the project's
#                                   Studio extension, emulator/serve.py) on a free
#                                   loopback port
#   DEMO_TARGET=aws                 your real account: uses your usual AWS
#                                   credentials (AWS_PROFILE, env, SSO…) and
#                                   DEMO_REGION (default us-east-1)
#   DEMO_EXAMPLE=all (default)      quickstart, private-network, then vpc-model
#   DEMO_EXAMPLE=quickstart         reads the endpoint services; creates nothing
#   DEMO_EXAMPLE=private-network    a sagemaker_private_network in a VPC:
#                                   - emulator: scripts/demo_network.py makes the
#                                     VPC and two private subnets, and checks
#                                     after destroy that nothing is left in it
#                                   - aws: your VPC, never a new one:
#                                     DEMO_VPC_ID=vpc-… DEMO_SUBNET_IDS=subnet-…,subnet-…
#                                     (skipped when they are not set). This
#                                     creates billed VPC endpoints for a few
#                                     minutes, and destroys them.
#   DEMO_EXAMPLE=vpc-model          a private network and a sagemaker_vpc_model_config
#                                   with a model, on a second emulator VPC (checked
#                                   clean after destroy: no endpoint, group or model);
#                                   aws: DEMO_VPC_ID, DEMO_SUBNET_IDS and
#                                   DEMO_EXECUTION_ROLE_ARN, DEMO_IMAGE, DEMO_MODEL_DATA_URL
#   DEMO_EXAMPLE=studio-vpc-only    a private network and a sagemaker_studio_domain (VpcOnly,
#                                   two users, reusing the network's endpoints) on a third
#                                   emulator VPC, checked clean after destroy (the home EFS
#                                   and the NFS groups go too); aws: DEMO_VPC_ID,
#                                   DEMO_SUBNET_IDS and DEMO_EXECUTION_ROLE_ARN
#   KEEP=1                          keep the workspace and print where it is
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${DEMO_TARGET:-emulator}"
example="${DEMO_EXAMPLE:-all}"
region="${DEMO_REGION:-us-east-1}"
binary="${CARGO_TARGET_DIR:-$repo/target}/debug/terraform-provider-sagemaker"
python="$repo/.venv/bin/python"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)"
[[ -x "$binary" ]] || { echo "demo: $binary is missing: run 'make build' first" >&2; exit 1; }

case "$target" in
    emulator | aws) ;;
    *) echo "demo: DEMO_TARGET must be 'emulator' or 'aws', not '$target'" >&2; exit 2 ;;
esac
case "$example" in
    all) examples=(quickstart private-network vpc-model studio-vpc-only) ;;
    quickstart | private-network | vpc-model | studio-vpc-only) examples=("$example") ;;
    *) echo "demo: DEMO_EXAMPLE must be 'quickstart', 'private-network', 'vpc-model', 'studio-vpc-only' or 'all', not '$example'" >&2; exit 2 ;;
esac

work="$(mktemp -d -t sagemaker-demo.XXXXXX)"
moto_pid=""
cleanup() {
    [[ -n "$moto_pid" ]] && kill "$moto_pid" 2>/dev/null && wait "$moto_pid" 2>/dev/null
    if [[ "${KEEP:-0}" == 1 ]]; then echo "demo: workspace kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# --- The provider, served from a filesystem mirror --------------------------
mirror="$work/mirror/registry.terraform.io/privatelink/sagemaker/$version/linux_amd64"
mkdir -p "$mirror"
cp "$binary" "$mirror/terraform-provider-sagemaker_v$version"
cat > "$work/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/privatelink/sagemaker"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0

# --- The target: the emulator, or your account ------------------------------
common_vars=(-var "region=$region")
endpoint_url=""
if [[ "$target" == emulator ]]; then
    port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    step "Starting the AWS emulator (moto + Studio extension, emulator/serve.py) on 127.0.0.1:$port"
    "$python" "$repo/emulator/serve.py" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
    moto_pid=$!
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
        sleep 0.1
    done
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
    endpoint_url="http://127.0.0.1:$port"
    common_vars+=(-var "endpoint_url=$endpoint_url")
else
    step "Targeting your AWS account in $region (credentials from your usual AWS configuration)"
fi

# run_example NAME [-var …]: init, plan, apply, output and destroy
# examples/NAME in $work/NAME (which may already hold a *.auto.tfvars.json).
run_example() {
    local name="$1" dir="$work/$1"
    shift
    local vars=("${common_vars[@]}" "$@")
    mkdir -p "$dir"
    cp "$repo/examples/$name"/*.tf "$dir/"
    cd "$dir"
    step "[$name] terraform init (offline, from the local mirror)"
    terraform init -no-color | grep -E 'Installing|Installed|initialized' || true
    step "[$name] terraform plan"
    terraform plan -no-color "${vars[@]}" -out=demo.plan
    step "[$name] terraform apply"
    if ! terraform apply -no-color -auto-approve demo.plan; then
        # Whatever the failed apply created is in state: remove it before failing.
        step "[$name] apply failed: terraform destroy what it created"
        terraform destroy -no-color -auto-approve "${vars[@]}" | tail -n 3 || true
        return 1
    fi
    step "[$name] terraform output"
    terraform output -no-color
    step "[$name] terraform destroy"
    terraform destroy -no-color -auto-approve "${vars[@]}" | tail -n 3
    cd "$work"
    ran+=("$name")
}

# --- Examples ---------------------------------------------------------------
demo_quickstart() {
    run_example quickstart
}

demo_private_network() {
    # The policy helper's example endpoint, in the Region of the demo.
    local arns="[\"arn:aws:sagemaker:$region:123456789012:endpoint/churn-prediction\"]"
    if [[ "$target" == emulator ]]; then
        step "[private-network] A VPC with two private subnets in the emulator (scripts/demo_network.py)"
        mkdir -p "$work/private-network"
        "$python" "$repo/scripts/demo_network.py" create --endpoint-url "$endpoint_url" \
            --region "$region" --out-dir "$work/private-network"
        local vpc_id
        vpc_id="$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["vpc_id"])' \
            "$work/private-network/demo.auto.tfvars.json")"
        run_example private-network -var "runtime_invoke_endpoint_arns=$arns"
        step "[private-network] After destroy: nothing left in $vpc_id"
        "$python" "$repo/scripts/demo_network.py" --endpoint-url "$endpoint_url" \
            --region "$region" --verify-clean "$vpc_id"
    elif [[ -z "${DEMO_VPC_ID:-}" || -z "${DEMO_SUBNET_IDS:-}" ]]; then
        step "[private-network] skipped: DEMO_VPC_ID and DEMO_SUBNET_IDS are not set"
        skipped+=(private-network)
        echo "With DEMO_TARGET=aws this example needs a VPC of yours (the demo never creates one):"
        echo "  make demo DEMO_TARGET=aws DEMO_EXAMPLE=private-network \\"
        echo "       DEMO_VPC_ID=vpc-… DEMO_SUBNET_IDS=subnet-…,subnet-…"
        echo "The VPC needs DNS support and DNS hostnames; one subnet per Availability Zone."
    else
        # "subnet-a, subnet-b" → ["subnet-a","subnet-b"]
        local ids="${DEMO_SUBNET_IDS// /}" subnets
        subnets="[\"${ids//,/\",\"}\"]"
        step "[private-network] In $DEMO_VPC_ID, subnets $DEMO_SUBNET_IDS (billed VPC endpoints, destroyed at the end)"
        run_example private-network -var "vpc_id=$DEMO_VPC_ID" -var "subnet_ids=$subnets" \
            -var "runtime_invoke_endpoint_arns=$arns"
    fi
}

demo_vpc_model() {
    if [[ "$target" == emulator ]]; then
        step "[vpc-model] Another VPC with two private subnets in the emulator (scripts/demo_network.py)"
        mkdir -p "$work/vpc-model"
        "$python" "$repo/scripts/demo_network.py" create --endpoint-url "$endpoint_url" \
            --region "$region" --out-dir "$work/vpc-model"
        local vpc_id
        vpc_id="$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["vpc_id"])' \
            "$work/vpc-model/demo.auto.tfvars.json")"
        run_example vpc-model
        step "[vpc-model] After destroy: nothing left in $vpc_id, no SageMaker model left"
        "$python" "$repo/scripts/demo_network.py" --endpoint-url "$endpoint_url" \
            --region "$region" --verify-clean "$vpc_id"
    elif [[ -z "${DEMO_VPC_ID:-}" || -z "${DEMO_SUBNET_IDS:-}" || -z "${DEMO_EXECUTION_ROLE_ARN:-}" ]]; then
        step "[vpc-model] skipped: DEMO_VPC_ID, DEMO_SUBNET_IDS and DEMO_EXECUTION_ROLE_ARN are not set"
        skipped+=(vpc-model)
        echo "With DEMO_TARGET=aws this example needs your VPC, subnets in two zones, and a SageMaker execution role:"
        echo "  make demo DEMO_TARGET=aws DEMO_EXAMPLE=vpc-model DEMO_VPC_ID=vpc-… \\"
        echo "       DEMO_SUBNET_IDS=subnet-…,subnet-… DEMO_EXECUTION_ROLE_ARN=arn:aws:iam::…:role/… \\"
        echo "       [DEMO_IMAGE=… DEMO_MODEL_DATA_URL=s3://…]"
    else
        local ids="${DEMO_SUBNET_IDS// /}" subnets
        subnets="[\"${ids//,/\",\"}\"]"
        local extra=(-var "execution_role_arn=$DEMO_EXECUTION_ROLE_ARN")
        [[ -n "${DEMO_IMAGE:-}" ]] && extra+=(-var "image=$DEMO_IMAGE")
        [[ -n "${DEMO_MODEL_DATA_URL:-}" ]] && extra+=(-var "model_data_url=$DEMO_MODEL_DATA_URL")
        step "[vpc-model] In $DEMO_VPC_ID, subnets $DEMO_SUBNET_IDS (billed VPC endpoints, destroyed at the end)"
        run_example vpc-model -var "vpc_id=$DEMO_VPC_ID" -var "subnet_ids=$subnets" "${extra[@]}"
    fi
}

demo_studio_vpc_only() {
    if [[ "$target" == emulator ]]; then
        step "[studio-vpc-only] A third VPC with two private subnets in the emulator (scripts/demo_network.py)"
        mkdir -p "$work/studio-vpc-only"
        "$python" "$repo/scripts/demo_network.py" create --endpoint-url "$endpoint_url" \
            --region "$region" --out-dir "$work/studio-vpc-only"
        local vpc_id
        vpc_id="$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["vpc_id"])' \
            "$work/studio-vpc-only/demo.auto.tfvars.json")"
        run_example studio-vpc-only
        step "[studio-vpc-only] After destroy: nothing left in $vpc_id, no Studio domain left"
        "$python" "$repo/scripts/demo_network.py" --endpoint-url "$endpoint_url" \
            --region "$region" --verify-clean "$vpc_id"
    elif [[ -z "${DEMO_VPC_ID:-}" || -z "${DEMO_SUBNET_IDS:-}" || -z "${DEMO_EXECUTION_ROLE_ARN:-}" ]]; then
        step "[studio-vpc-only] skipped: DEMO_VPC_ID, DEMO_SUBNET_IDS and DEMO_EXECUTION_ROLE_ARN are not set"
        skipped+=(studio-vpc-only)
        echo "With DEMO_TARGET=aws this example needs your VPC (private subnets in two zones) and a Studio execution role:"
        echo "  make demo DEMO_TARGET=aws DEMO_EXAMPLE=studio-vpc-only DEMO_VPC_ID=vpc-… \\"
        echo "       DEMO_SUBNET_IDS=subnet-…,subnet-… DEMO_EXECUTION_ROLE_ARN=arn:aws:iam::…:role/…"
    else
        local ids="${DEMO_SUBNET_IDS// /}" subnets
        subnets="[\"${ids//,/\",\"}\"]"
        step "[studio-vpc-only] In $DEMO_VPC_ID, subnets $DEMO_SUBNET_IDS (billed endpoints and a Studio domain, destroyed at the end)"
        run_example studio-vpc-only -var "vpc_id=$DEMO_VPC_ID" -var "subnet_ids=$subnets" \
            -var "execution_role_arn=$DEMO_EXECUTION_ROLE_ARN"
    fi
}

ran=() skipped=()
for name in "${examples[@]}"; do
    "demo_${name//-/_}"
done
step "Demo finished (ran: ${ran[*]:-nothing}${skipped[*]:+; skipped: ${skipped[*]}})"
