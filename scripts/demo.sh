#!/usr/bin/env bash
# The demo behind `make demo`: installs the freshly built provider into a
# throw-away filesystem mirror (no registry access needed), then runs
# terraform init, plan, apply, output and destroy on an example.
#
#   DEMO_TARGET=emulator (default)  a local moto server on a free loopback port
#   DEMO_TARGET=aws                 your real account: uses your usual AWS
#                                   credentials (AWS_PROFILE, env, SSO…) and
#                                   DEMO_REGION (default us-east-1)
#   DEMO_EXAMPLE=quickstart         which folder of examples/ to run
#   KEEP=1                          keep the workspace and print where it is
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${DEMO_TARGET:-emulator}"
example="${DEMO_EXAMPLE:-quickstart}"
region="${DEMO_REGION:-us-east-1}"
binary="${CARGO_TARGET_DIR:-$repo/target}/debug/terraform-provider-sagemaker"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)"
[[ -x "$binary" ]] || { echo "demo: $binary is missing: run 'make build' first" >&2; exit 1; }

work="$(mktemp -d -t sagemaker-demo.XXXXXX)"
moto_pid=""
cleanup() {
    [[ -n "$moto_pid" ]] && kill "$moto_pid" 2>/dev/null && wait "$moto_pid" 2>/dev/null
    if [[ "${KEEP:-0}" == 1 ]]; then echo "demo: workspace kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

mirror="$work/mirror/registry.terraform.io/privatelink/sagemaker/$version/linux_amd64"
mkdir -p "$mirror" "$work/config"
cp "$binary" "$mirror/terraform-provider-sagemaker_v$version"
cat > "$work/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/privatelink/sagemaker"]
  }
}
RC
cp "$repo/examples/$example"/*.tf "$work/config/"
export TF_CLI_CONFIG_FILE="$work/terraformrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 TF_INPUT=0
vars=(-var "region=$region")

if [[ "$target" == emulator ]]; then
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    step "Starting the AWS emulator (moto) on 127.0.0.1:$port"
    "$repo/.venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
    moto_pid=$!
    for _ in $(seq 100); do
        curl -fsS "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
        sleep 0.1
    done
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
    vars+=(-var "endpoint_url=http://127.0.0.1:$port")
elif [[ "$target" != aws ]]; then
    echo "demo: DEMO_TARGET must be 'emulator' or 'aws', not '$target'" >&2
    exit 2
else
    step "Targeting your AWS account in $region (credentials from your usual AWS configuration)"
fi

cd "$work/config"
step "terraform init (offline, from the local mirror)"
terraform init -no-color | grep -E 'Installing|Installed|initialized' || true
step "terraform plan"
terraform plan -no-color "${vars[@]}" -out=demo.plan
step "terraform apply"
terraform apply -no-color -auto-approve demo.plan
step "terraform output"
terraform output -no-color
step "terraform destroy"
terraform destroy -no-color -auto-approve "${vars[@]}" | tail -n 3
step "Demo finished"
