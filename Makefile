# Two commands do everything on a fresh machine:
#   make demo   build, start the local AWS emulator, plan+apply+destroy examples/quickstart,
#               examples/private-network and examples/vpc-model (on VPCs it makes there), then
#               check nothing is left
#               (DEMO_TARGET=aws: against your real account with your AWS credentials)
#   make test   every test: the emulator's own, then unit, property, protocol and end-to-end
#               (terraform + emulator)

SHELL := /bin/bash
# A build cache outside the clone, shared by every checkout (and CI) on this machine.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/terraform-provider-sagemaker/target
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
OS_ARCH := $(shell uname -s | tr A-Z a-z)_$(shell uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
PLUGIN_DIR := $(HOME)/.terraform.d/plugins/registry.terraform.io/privatelink/sagemaker/$(VERSION)/$(OS_ARCH)

.PHONY: all build release venv tools test test-emulator unit lint fmt docs demo install bench clean

all: build

build:
	cargo build --bins

# Registry artefacts for this platform in dist/: zip, manifest, SHA256SUMS, and the
# signature when GPG_FINGERPRINT names an RSA/DSA key (scripts/release.sh says more).
release:
	scripts/release.sh

venv:
	@scripts/venv.sh

tools:
	@scripts/test-tools.sh

test: venv tools lint test-emulator
	cargo test --lib --bins --tests --no-fail-fast

# The emulator's Studio extension against the AWS behaviour it stands in for (emulator/README.md):
# the launcher on a free port, driven with boto3. Stdlib unittest, so .venv needs nothing more.
# Then the demo's fixture script (scripts/demo_network.py) against moto in process.
test-emulator: venv
	.venv/bin/python -m unittest discover -s emulator
	.venv/bin/python -m unittest discover -s scripts

unit:
	cargo test --lib

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	scripts/lint-workflows.sh

fmt:
	cargo fmt --all

# Regenerate the Registry docs (docs/) from the schemas; tests/docs.rs fails when they are stale.
docs:
	UPDATE_DOCS=1 cargo test --test docs

demo: venv build
	scripts/demo.sh

# Benchmarks of the release provider (bench/), results in bench/results/: process cost
# (startup.md), then the composites against the emulator side by side with the AWS CLI
# and a concurrent boto3 floor (composites.md; ~20 min, mostly EC2's pacing). The AWS CLI
# comes from requirements-bench.txt; the measuring client uses the warm dev build.
bench: release venv
	.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	SAGEMAKER_PROVIDER_BINARY=$(CARGO_TARGET_DIR)/release/terraform-provider-sagemaker cargo bench --profile dev --bench startup --bench composites

install: release
	mkdir -p $(PLUGIN_DIR)
	cp $(CARGO_TARGET_DIR)/release/terraform-provider-sagemaker $(PLUGIN_DIR)/terraform-provider-sagemaker_v$(VERSION)
	@echo "Installed in $(PLUGIN_DIR): terraform init now finds privatelink/sagemaker $(VERSION) locally."

clean:
	cargo clean
	rm -rf .venv
