#!/usr/bin/env bash
# Terraform Registry release artefacts in dist/, laid out as the Registry's
# publishing rules require:
#
#   terraform-provider-sagemaker_VERSION_OS_ARCH.zip   one per platform, holding
#                                                       terraform-provider-sagemaker_vVERSION[.exe]
#   terraform-provider-sagemaker_VERSION_manifest.json  protocol 6.0 (terraform-registry-manifest.json)
#   terraform-provider-sagemaker_VERSION_SHA256SUMS     over the zips and the manifest
#   terraform-provider-sagemaker_VERSION_SHA256SUMS.sig detached binary GPG signature (RSA/DSA key)
#
# Usage:
#   scripts/release.sh                       everything for this machine's platform (`make release`)
#   scripts/release.sh build OS ARCH TARGET  cargo build --release --target TARGET, then package it
#   scripts/release.sh package OS ARCH BIN   zip BIN as the OS_ARCH artefact
#   scripts/release.sh checksum              manifest + SHA256SUMS over every zip in dist/
#   scripts/release.sh sign                  sign SHA256SUMS with GPG_FINGERPRINT
#
# Environment:
#   DIST              output directory (default: <repo>/dist)
#   PROVIDER_BINARY   package this binary for the host instead of building one
#   GPG_FINGERPRINT   key to sign with; without it the signature is skipped (with a message)
#   GPG_PASSPHRASE    the key's passphrase, if it has one
# The CI workflow (.github/workflows/release.yml) runs `build` on each platform,
# then `checksum` and `sign` once over all the zips.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="terraform-provider-sagemaker"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/Cargo.toml" | head -1)"
dist="${DIST:-$repo/dist}"

# SHA-256 in `sha256sum` form (`shasum` on macOS runners).
sha256() {
    if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

fail() {
    echo "release.sh: $*" >&2
    exit 1
}

# The Registry's name for this machine: linux_amd64, darwin_arm64, …
host_platform() {
    local os arch
    os="$(uname -s | tr '[:upper:]' '[:lower:]')"
    case "$(uname -m)" in
        x86_64 | amd64) arch=amd64 ;;
        aarch64 | arm64) arch=arm64 ;;
        *) fail "unsupported machine $(uname -m)" ;;
    esac
    echo "$os $arch"
}

# A tag being released must be the crate's version.
check_tag() {
    local tag="${GITHUB_REF_NAME:-}"
    if [[ -n "$tag" && "$tag" != "v$version" ]]; then
        fail "tag $tag does not match Cargo.toml version $version: tag v$version, or bump the version"
    fi
}

# package OS ARCH BINARY: dist/NAME_VERSION_OS_ARCH.zip holding NAME_vVERSION[.exe].
package() {
    local os="$1" arch="$2" binary="$3" exe=""
    [[ -x "$binary" || -f "$binary" ]] || fail "no binary at $binary"
    [[ "$os" == windows ]] && exe=".exe"
    mkdir -p "$dist"
    local staging
    staging="$(mktemp -d)"
    cp "$binary" "$staging/${name}_v${version}${exe}"
    chmod 755 "$staging/${name}_v${version}${exe}"
    # Fixed timestamps and no extra attributes: the same binary gives the same zip.
    touch -t 198001010000 "$staging/${name}_v${version}${exe}"
    local zip="$dist/${name}_${version}_${os}_${arch}.zip"
    rm -f "$zip"
    (cd "$staging" && zip -q -X "$zip" "${name}_v${version}${exe}")
    rm -rf "$staging"
    echo "release.sh: $(basename "$zip") ($(wc -c <"$zip") bytes, binary $(wc -c <"$binary") bytes)"
}

# build OS ARCH TARGET: a release build for TARGET, packaged.
build() {
    local os="$1" arch="$2" target="$3" exe=""
    [[ "$os" == windows ]] && exe=".exe"
    check_tag
    (cd "$repo" && cargo build --release --locked --bins --target "$target")
    local target_dir="${CARGO_TARGET_DIR:-$repo/target}"
    package "$os" "$arch" "$target_dir/$target/release/${name}${exe}"
}

# checksum: the manifest, then SHA256SUMS over the zips and the manifest.
checksum() {
    compgen -G "$dist/${name}_${version}_*.zip" >/dev/null \
        || fail "no ${name}_${version}_*.zip in $dist: build or package first"
    cp "$repo/terraform-registry-manifest.json" "$dist/${name}_${version}_manifest.json"
    (
        cd "$dist"
        sha256 "${name}_${version}"_*.zip "${name}_${version}_manifest.json" \
            >"${name}_${version}_SHA256SUMS"
    )
    echo "release.sh: ${name}_${version}_SHA256SUMS"
}

# sign: a detached binary signature of SHA256SUMS. The Registry verifies it
# with the public key it was given, and accepts RSA and DSA keys only.
sign() {
    local sums="$dist/${name}_${version}_SHA256SUMS"
    [[ -f "$sums" ]] || fail "no $sums: run checksum first"
    if [[ -z "${GPG_FINGERPRINT:-}" ]]; then
        echo "release.sh: GPG_FINGERPRINT not set: SHA256SUMS left unsigned (the Registry needs the signature)" >&2
        return 0
    fi
    command -v gpg >/dev/null || fail "gpg is not installed: install gnupg to sign"
    local algorithm
    algorithm="$(gpg --batch --with-colons --list-keys "$GPG_FINGERPRINT" 2>/dev/null | awk -F: '$1 == "pub" { print $4; exit }')"
    [[ -n "$algorithm" ]] || fail "no public key $GPG_FINGERPRINT in the keyring ($(gpg --version | sed -n 's/^Home: //p')): import it first"
    case "$algorithm" in
        1 | 2 | 3 | 17) ;; # RSA (1–3), DSA (17): RFC 4880 public-key algorithm ids
        *) fail "key $GPG_FINGERPRINT is not RSA or DSA (OpenPGP algorithm $algorithm, e.g. ECC): the Terraform Registry accepts only RSA and DSA signing keys; make one with: gpg --quick-gen-key 'NAME <EMAIL>' rsa4096 sign" ;;
    esac
    local passphrase=()
    if [[ -n "${GPG_PASSPHRASE:-}" ]]; then
        passphrase=(--pinentry-mode loopback --passphrase-fd 0)
    fi
    rm -f "$sums.sig"
    # `!`: sign with the primary key checked above, never a signing subkey
    # of another algorithm.
    gpg --batch --yes "${passphrase[@]}" --local-user "$GPG_FINGERPRINT!" \
        --detach-sign --output "$sums.sig" "$sums" <<<"${GPG_PASSPHRASE:-}"
    echo "release.sh: $(basename "$sums").sig"
}

case "${1:-all}" in
    all)
        read -r os arch < <(host_platform)
        rm -rf "$dist"
        if [[ -n "${PROVIDER_BINARY:-}" ]]; then
            package "$os" "$arch" "$PROVIDER_BINARY"
        else
            (cd "$repo" && cargo build --release --locked --bins)
            package "$os" "$arch" "${CARGO_TARGET_DIR:-$repo/target}/release/$name"
        fi
        checksum
        sign
        ;;
    build) build "$2" "$3" "$4" ;;
    package) package "$2" "$3" "$4" ;;
    checksum) checksum ;;
    sign) sign ;;
    *) fail "unknown command $1 (all, build, package, checksum, sign)" ;;
esac
