//! The release, end to end: `scripts/release.sh` (what `make release` and
//! the release workflow run) builds `dist/` from this run's provider binary,
//! signs it with a throwaway RSA key made here, and the result installs the
//! way a Registry user's Terraform installs it — offline, from a packed
//! filesystem mirror — then plans against the emulator.
//!
//! Without `gpg` the signing steps are skipped with a message (`make test`
//! installs gpg where it can). The workflow linter is checked to fail on a
//! broken workflow, so that `make lint` passing means something.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::ec2_fixture::fixture;
use support::sagemaker::{main_tf, network_resource};
use support::terraform::Workspace;

const NAME: &str = "terraform-provider-sagemaker";

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// This machine in the Registry's terms, e.g. `linux_amd64`.
fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn has(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// `scripts/release.sh ARGS` writing into `dist`, with `env`.
fn release(dist: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(support::repo_root().join("scripts/release.sh"));
    command
        .args(args)
        .env("DIST", dist)
        .env("PROVIDER_BINARY", support::provider_binary())
        .env_remove("GPG_FINGERPRINT");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run scripts/release.sh")
}

/// A keyring of its own with a new key of `algorithm`; returns the
/// fingerprint.
fn make_key(gnupg_home: &Path, algorithm: &str, email: &str) -> String {
    run(Command::new("gpg")
        .env("GNUPGHOME", gnupg_home)
        .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
        .args([
            "--quick-gen-key",
            &format!("Release Test <{email}>"),
            algorithm,
            "sign",
            "1d",
        ]));
    let listing = run(Command::new("gpg").env("GNUPGHOME", gnupg_home).args([
        "--batch",
        "--with-colons",
        "--list-keys",
        email,
    ]));
    String::from_utf8_lossy(&listing.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|rest| rest.trim_matches(':').to_owned())
        })
        .expect("the new key's fingerprint")
}

/// The `SHA256SUMS` lines as file → hash.
fn sums(dist: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dist.join(format!("{NAME}_{}_SHA256SUMS", version())))
        .expect("read SHA256SUMS");
    text.lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(hash, file)| (file.to_owned(), hash.to_owned()))
        .collect()
}

/// Terraform's `h1:` hash of a provider zip: base64 of the SHA-256 of
/// `"<sha256 hex>  <name>\n"` for each file inside, sorted by name.
fn content_hash(zip: &Path, scratch: &Path) -> String {
    let unpacked = scratch.join("unpacked");
    run(Command::new("unzip")
        .arg("-q")
        .arg("-o")
        .arg(zip)
        .arg("-d")
        .arg(&unpacked));
    let mut names: Vec<String> = std::fs::read_dir(&unpacked)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let sha256 = |path: &Path| -> String {
        let out = run(Command::new("sha256sum").arg(path));
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    };
    let summary: String = names
        .iter()
        .map(|n| format!("{}  {n}\n", sha256(&unpacked.join(n))))
        .collect();
    let summary_file = scratch.join("h1-summary");
    std::fs::write(&summary_file, summary).unwrap();
    let hex = sha256(&summary_file);
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    use base64::Engine;
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[test]
fn a_signed_release_installs_offline_from_a_packed_mirror_and_plans() {
    let fx = fixture();
    let scratch = tempfile::tempdir_in(support::target_tmpdir()).expect("a scratch directory");
    let dist = scratch.path().join("dist");
    let gnupg_home = scratch.path().join("gnupg");
    std::fs::create_dir_all(&gnupg_home).expect("a keyring directory");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gnupg_home, std::fs::Permissions::from_mode(0o700))
            .expect("keyring mode");
    }
    let gnupg = gnupg_home.to_string_lossy().into_owned();
    let fingerprint = has("gpg").then(|| make_key(&gnupg_home, "rsa3072", "rsa@example.invalid"));
    if fingerprint.is_none() {
        eprintln!(
            "gpg is not installed: the release is built and checked unsigned (signing skipped)"
        );
    }
    let mut env = vec![("GNUPGHOME", gnupg.as_str())];
    if let Some(fp) = &fingerprint {
        env.push(("GPG_FINGERPRINT", fp.as_str()));
    }
    let made = release(&dist, &env, &[]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    // The artefacts, named as the Registry wants them.
    let v = version();
    let zip = format!("{NAME}_{v}_{}.zip", platform());
    let manifest = format!("{NAME}_{v}_manifest.json");
    let sums_file = format!("{NAME}_{v}_SHA256SUMS");
    let listed = sums(&dist);
    assert_eq!(
        listed.keys().cloned().collect::<Vec<_>>(),
        [zip.clone(), manifest.clone()],
        "SHA256SUMS covers the zip and the manifest"
    );
    run(Command::new("sha256sum")
        .arg("-c")
        .arg(&sums_file)
        .current_dir(&dist));
    let manifest_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dist.join(&manifest)).unwrap()).unwrap();
    assert_eq!(
        manifest_json["metadata"]["protocol_versions"],
        serde_json::json!(["6.0"])
    );
    let unzipped = run(Command::new("unzip").arg("-Z1").arg(dist.join(&zip)));
    assert_eq!(
        String::from_utf8_lossy(&unzipped.stdout).trim(),
        format!("{NAME}_v{v}"),
        "the zip holds the binary under the Registry's name"
    );
    if fingerprint.is_some() {
        run(Command::new("gpg")
            .env("GNUPGHOME", &gnupg_home)
            .args(["--batch", "--verify"])
            .arg(dist.join(format!("{sums_file}.sig")))
            .arg(dist.join(&sums_file)));
    }

    // A packed filesystem mirror, installed offline.
    let mirror = scratch.path().join("mirror");
    let packed = mirror.join("registry.terraform.io/privatelink/sagemaker");
    std::fs::create_dir_all(&packed).unwrap();
    std::fs::copy(dist.join(&zip), packed.join(&zip)).unwrap();
    let config = main_tf(&network_resource(
        &fx.vpc_id,
        [&fx.subnet_a, &fx.subnet_b],
        "",
    ))
    .replace(
        r#"sagemaker = { source = "privatelink/sagemaker" }"#,
        &format!(r#"sagemaker = {{ source = "privatelink/sagemaker", version = "{v}" }}"#),
    );
    let mut ws = Workspace::new(&config);
    ws.set_envs(fx.account.aws_env());
    let plugin_dir = format!("-plugin-dir={}", mirror.display());
    ws.run_ok(&["init", "-input=false", &plugin_dir]);
    let fs_mirror = format!("-fs-mirror={}", mirror.display());
    let lock_platform = format!("-platform={}", platform());
    ws.run_ok(&["providers", "lock", &fs_mirror, &lock_platform]);
    // Terraform records `zh:` (the zip's SHA-256, which the Registry takes
    // from SHA256SUMS) only when installing from a registry; from a mirror it
    // records `h1:`, the hash of the zip's contents: check that one is ours.
    let lock = ws.read(".terraform.lock.hcl");
    let h1 = format!("\"{}\"", content_hash(&dist.join(&zip), scratch.path()));
    assert!(
        lock.contains(&h1),
        "the lock file holds the release's {h1}:\n{lock}"
    );
    let schema = ws.json(&["providers", "schema", "-json"]);
    let resources = &schema["provider_schemas"]["registry.terraform.io/privatelink/sagemaker"]
        ["resource_schemas"];
    assert!(
        resources.get("sagemaker_private_network").is_some(),
        "{schema}"
    );
    let plan = ws.plan_ok().combined();
    assert!(plan.contains("Plan: 1 to add"), "{plan}");
}

#[test]
fn signing_refuses_an_ecc_key_the_registry_would_reject() {
    if !has("gpg") {
        eprintln!("gpg is not installed: signing not tested");
        return;
    }
    let scratch = tempfile::tempdir_in(support::target_tmpdir()).expect("a scratch directory");
    let dist = scratch.path().join("dist");
    let gnupg_home = scratch.path().join("gnupg");
    std::fs::create_dir_all(&gnupg_home).unwrap();
    let ecc = make_key(&gnupg_home, "ed25519", "ecc@example.invalid");
    let gnupg = gnupg_home.to_string_lossy().into_owned();
    let made = release(
        &dist,
        &[("GNUPGHOME", &gnupg), ("GPG_FINGERPRINT", &ecc)],
        &[],
    );
    let stderr = String::from_utf8_lossy(&made.stderr);
    assert!(
        !made.status.success(),
        "an ECC key must be refused:\n{stderr}"
    );
    assert!(stderr.contains("accepts only RSA and DSA"), "{stderr}");
    assert!(!dist
        .join(format!("{NAME}_{}_SHA256SUMS.sig", version()))
        .exists());
}

#[test]
fn the_workflow_linter_passes_the_release_workflow_and_fails_a_broken_one() {
    let lint = |file: &Path| {
        Command::new(support::repo_root().join("scripts/lint-workflows.sh"))
            .arg(file)
            .output()
            .expect("run scripts/lint-workflows.sh")
    };
    let workflow: PathBuf = support::repo_root().join(".github/workflows/release.yml");
    let clean = lint(&workflow);
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    let scratch = tempfile::tempdir_in(support::target_tmpdir()).unwrap();
    let broken = scratch.path().join("broken.yml");
    let text = std::fs::read_to_string(&workflow)
        .unwrap()
        .replace("${{ matrix.target }}", "${{ matrix.triple }}");
    std::fs::write(&broken, text).unwrap();
    let failed = lint(&broken);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        !failed.status.success(),
        "a broken workflow must fail the lint"
    );
    assert!(
        stderr.contains("property \"triple\" is not defined"),
        "{stderr}"
    );
}
