//! The latency section of the composite benchmarks
//! (`bench/results/latency.md`): every composite through the fault proxy's
//! latency profile (`tests/support/fault_proxy.rs`, [`LatencyProfile`]) —
//! per-call latency as a real account answers, endpoints pending for as
//! long as AWS keeps them pending — at K = 1 and 10, next to the concurrent
//! boto3 floor under the same profile, each in its own account (the proxy
//! gives the n-th endpoint of every account the same pending time, so both
//! contenders wait alike).
//!
//! Per contender and phase: wall time (ratios to the floor), AWS calls,
//! peak RSS; for the provider's apply the overshoot: from the moment the
//! last endpoint reads `available` (or its Studio domain `InService`) to
//! the apply's return. The provider runs
//! `terraform plan -out`, `terraform apply` of that plan, `terraform plan`
//! (the refresh) and `terraform destroy`. The call targets are counted on
//! the emulator without the profile (no pending: no polls), where the
//! minimal script's calls are those of the floor.
//!
//! Knobs: `BENCH_LATENCY_SCALE` (the factor on every pending time, default
//! 0.25: interface endpoints pending 15–37.5 s; the provider's waiter gets
//! the same factor through `SAGEMAKER_SETTLE_SCALE`, which scales its first
//! poll, never its 1.5 s late pause), `BENCH_LATENCY_KS` (default `1,10`),
//! `BENCH_BEFORE_BINARY` (another provider build, e.g. main's, measured
//! the same way for a before/after table), `BENCH_COMPOSITES` (as for the
//! other sections).

use super::common::{load_average, machine_description, profile_of, results_file};
use super::support::fault_proxy::{Config as FaultConfig, FaultProxy, LatencyProfile};
use super::support::moto;
use super::support::terraform::Workspace;
use super::{
    bucket_floor, build_networks, leftovers, met, operations, parse_list, ratio, run_script_via,
    selected_composites, terraform_phase, tfvars, Composite, Phase, ProviderDetail, Script,
    BUCKET_CAPACITY, BUCKET_REFILL_PER_S, COMPOSITES,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The results file, in `bench/results/`.
const RESULTS: &str = "latency.md";
/// The factor on every pending time unless `BENCH_LATENCY_SCALE` says otherwise.
const DEFAULT_SCALE: f64 = 0.25;
/// Numbers of composites unless `BENCH_LATENCY_KS` says otherwise.
const DEFAULT_KS: [usize; 2] = [1, 10];
/// The seed of the profile's draws (the same for every contender).
const SEED: u64 = 14;
/// Gateway endpoints each composite makes (the S3 endpoint).
const GATEWAYS: usize = 1;
/// Targets of the section.
const APPLY_OVER_FLOOR: f64 = 1.15;
const OVERSHOOT_S: f64 = 2.0;
const CALLS_OVER_SCRIPT: f64 = 2.0;
const PEAK_RSS_MB: f64 = 30.0;

/// One provider run under the profile: plan, apply, refresh, destroy.
struct ProviderRun {
    phases: [Phase; 4],
    details: Vec<ProviderDetail>,
    /// Seconds from the last endpoint's `available` to the apply's return.
    overshoot: f64,
    /// Seconds of `terraform apply` of a plan that changes nothing (made by
    /// the refresh phase): Terraform's and the provider processes' own
    /// cost, which no AWS call of the apply shortens.
    terraform_alone: f64,
    leftovers: String,
}

/// The provider phases, in table order.
const PROVIDER_PHASES: [&str; 4] = ["plan", "apply", "refresh", "destroy"];

/// Runs the section and writes `bench/results/latency.md`.
pub fn run(binary: &Path, started: Instant) {
    let scale = std::env::var("BENCH_LATENCY_SCALE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .unwrap_or(DEFAULT_SCALE);
    let ks = parse_list("BENCH_LATENCY_KS").unwrap_or_else(|| DEFAULT_KS.to_vec());
    let mut contenders: Vec<(String, PathBuf)> = Vec::new();
    if let Some(before) = std::env::var_os("BENCH_BEFORE_BINARY") {
        contenders.push(("before".to_owned(), PathBuf::from(before)));
    }
    contenders.push(("after".to_owned(), binary.to_path_buf()));
    let profile = LatencyProfile::aws().scaled(scale);
    let mut out = header(&profile, &contenders);
    let selected = selected_composites();
    let measured = COMPOSITES.iter().filter(|c| {
        c.todo.is_none()
            && selected
                .as_ref()
                .is_none_or(|names| names.contains(&c.script))
    });
    for composite in measured {
        eprintln!("bench latency: {} calls on the emulator", composite.script);
        let mut section = calls_section(composite, &contenders);
        for &k in &ks {
            eprintln!("bench latency: {} × {k}", composite.script);
            section.push_str(&timing_rows(composite, k, &profile, &contenders));
            write(&out, &section, started);
        }
        out.push_str(&section);
    }
    write(&out, "", started);
}

/// Machine, method, profile.
fn header(profile: &LatencyProfile, contenders: &[(String, PathBuf)]) -> String {
    let binaries: Vec<String> = contenders
        .iter()
        .map(|(who, path)| format!("{who}: `{}`", path.display()))
        .collect();
    format!(
        "# Composite benchmarks at real AWS latency\n\n{}\n\nProviders measured — {}.\n\n\
         Written by `make bench` (`bench/latency.rs`; `BENCH_SECTIONS=latency` runs only this). \
         Every AWS call of the provider and of the floor goes through the fault proxy's latency \
         profile: Describe/List/Get {:.0} ms, mutating calls {:.0} ms, CreateModel {:.0} ms \
         (± {:.0} %); interface endpoints read `pending` for {:.1}–{:.1} s after their create and \
         `deleting` for {:.1}–{:.1} s after their delete, gateway endpoints are ready and gone at \
         once. Pending times are AWS's (60–150 s, 10–30 s) × **{}**, so a run fits in minutes; \
         the provider's waiter is told the same factor (`SAGEMAKER_SETTLE_SCALE`: its first poll \
         comes that much sooner; its late pause stays 1.5 s), so the overshoot measured is the one \
         a real account sees. Each contender works in its own account on its own networks; the \
         n-th endpoint of every account is pending for the same time.\n\n\
         - **provider**: `terraform plan -out`, `terraform apply` of that plan (Terraform plans \
           again first), `terraform plan -detailed-exitcode` (the refresh), `terraform destroy`. \
           Overshoot: from the moment the last endpoint of the apply reads `available` (or, \
           later, its Studio domain `InService`; the proxy's clock) to the return of `terraform \
           apply`. **Terraform alone**: `terraform \
           apply` of a plan that changes nothing (the refresh's, saved), in the same workspace — \
           Terraform's and the provider processes' own cost, which no AWS call shortens; \
           (apply − Terraform alone) / floor is the provider's share. A build without a \
           composite's resource type is left out of its rows.\n\
         - **floor**: `scripts/bench/boto3_floor.py` through the same proxy: only the necessary \
           calls, all at once, one describe per second per network while waiting.\n\
         - **paced floor** (K = 10): the floor if it kept to EC2's per-account bucket for \
           endpoint creates (4, refilled at 0.3/s) as the provider does — the longest-pending \
           endpoints first (the provider sends interface endpoint creates ahead of gateway ones): max over the n-th create of its earliest slot + its pending time, plus \
           the floor's own chain. The paced delete floor: the last DeleteVpcEndpoints's slot \
           plus the shortest `deleting` time.\n\
         - **calls**: on the emulator without the profile (nothing pending, so no poll counts), \
           K = 1, from the provider's `AWS call` debug lines; the minimal script's are the \
           floor's.\n",
        machine_description(),
        binaries.join("; "),
        profile.read.as_secs_f64() * 1000.0,
        profile.write.as_secs_f64() * 1000.0,
        profile.model_create.as_secs_f64() * 1000.0 * profile.scale,
        profile.jitter * 100.0,
        profile.interface_pending.0.as_secs_f64() * profile.scale,
        profile.interface_pending.1.as_secs_f64() * profile.scale,
        profile.interface_deleting.0.as_secs_f64() * profile.scale,
        profile.interface_deleting.1.as_secs_f64() * profile.scale,
        profile.scale,
    )
}

/// The calls per phase of each contender at K = 1 on the plain emulator,
/// next to the floor's, with the call targets.
fn calls_section(composite: &Composite, contenders: &[(String, PathBuf)]) -> String {
    let floor = run_script_via(composite, 1, Script::Floor, None);
    let script = [
        floor.phases[0].calls,
        floor.phases[1].calls,
        floor.phases[2].calls,
    ];
    let mut out = format!(
        "\n## {}\n\n### AWS calls per phase (K = 1, emulator, nothing pending)\n\n\
         | contender | plan | apply (plan again + ApplyResourceChange) | of which ApplyResourceChange | refresh | destroy | apply / script | ApplyResourceChange / script |\n\
         |---|---|---|---|---|---|---|---|\n",
        composite.label
    );
    let mut verdicts = Vec::new();
    for (who, binary) in able(composite, contenders) {
        let run = provider_run(composite, 1, binary, None);
        let calls: Vec<f64> = run.phases.iter().map(|p| p.calls).collect();
        // The apply's own plan makes the calls the plan made: the rest is
        // ApplyResourceChange's.
        let own = calls[1] - calls[0];
        let _ = writeln!(
            out,
            "| provider ({who}) | {} | {} | {own} | {} | {} | {} | {} |",
            calls[0],
            calls[1],
            calls[2],
            calls[3],
            ratio(calls[1], script[0]),
            ratio(own, script[0]),
        );
        verdicts.push((who.clone(), calls[1], own, run));
    }
    let _ = writeln!(
        out,
        "| floor (minimal script) | – | {} | – | {} | {} | | |\n",
        script[0], script[1], script[2]
    );
    out.push_str("Operations:\n\n");
    for (who, _, _, run) in &verdicts {
        for (phase, detail) in PROVIDER_PHASES.iter().zip(&run.details) {
            let _ = writeln!(out, "- {who}, {phase}: {}", operations(&detail.operations));
        }
    }
    out.push_str("\nCall targets:\n\n");
    for (who, apply, own, _) in &verdicts {
        let _ = writeln!(
            out,
            "- {who}: apply calls ≤ {CALLS_OVER_SCRIPT}× the script's ({}): `terraform apply` of \
             the plan **{}** ({apply}); ApplyResourceChange alone **{}** ({own}).",
            script[0],
            met(*apply <= CALLS_OVER_SCRIPT * script[0]),
            met(*own <= CALLS_OVER_SCRIPT * script[0]),
        );
    }
    out
}

/// The timing rows of K composites: each contender, then the floor.
fn timing_rows(
    composite: &Composite,
    k: usize,
    profile: &LatencyProfile,
    contenders: &[(String, PathBuf)],
) -> String {
    let proxy = FaultProxy::start(
        &moto::shared().endpoint,
        FaultConfig::new(SEED).latency_profile(profile.clone()),
    );
    let floor = run_script_via(composite, k, Script::Floor, Some(proxy.url()));
    drop(proxy);
    let [create, read, delete] = [0, 1, 2].map(|i| floor.phases[i].secs);
    let paced = paced_floor(composite, k, profile, create);
    // Deletes are paced too: the last DeleteVpcEndpoints waits for its slot,
    // then its endpoints stay `deleting` at least the shortest time.
    let deleting = if composite.endpoint_creates > GATEWAYS {
        profile.interface_deleting
    } else {
        profile.gateway_deleting
    };
    let shortest_deleting = deleting.0.as_secs_f64() * profile.scale;
    let paced_delete = delete.max(bucket_floor(composite.endpoint_deletes * k) + shortest_deleting);
    let mut out = format!(
        "\n### K = {k} under the profile (scale {})\n\n\
         | contender | plan s | apply s | floor create s | apply / floor | paced floor s | apply / paced floor | Terraform alone s | (apply − Terraform alone) / floor | overshoot s | refresh s | floor read s | refresh / floor | destroy s | floor delete s | paced delete floor s | destroy / paced delete floor | calls plan / apply / refresh / destroy | peak RSS MiB |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
        profile.scale
    );
    let mut targets = Vec::new();
    for (who, binary) in able(composite, contenders) {
        let run = provider_run(composite, k, binary, Some(profile));
        let [plan, apply, refresh, destroy] = &run.phases;
        let rss = run
            .details
            .iter()
            .map(|d| d.peak_rss_kib)
            .max()
            .unwrap_or(0) as f64
            / 1024.0;
        let failed: Vec<&str> = run
            .phases
            .iter()
            .filter_map(|p| p.note.as_deref())
            .collect();
        let bound = if paced > create { paced } else { create };
        let _ = writeln!(
            out,
            "| provider ({who}){} | {:.1} | {:.1} | {create:.1} | {} | {paced:.1} | {} | {:.1} | {} | {:.2} | {:.1} | {read:.1} | {} | {:.1} | {delete:.1} | {paced_delete:.1} | {} | {} / {} / {} / {} | {rss:.1} |",
            if failed.is_empty() {
                String::new()
            } else {
                format!(" ({})", failed.join("; "))
            },
            plan.secs,
            apply.secs,
            ratio(apply.secs, create),
            ratio(apply.secs, paced),
            run.terraform_alone,
            ratio(apply.secs - run.terraform_alone, bound),
            run.overshoot,
            refresh.secs,
            ratio(refresh.secs, read),
            destroy.secs,
            ratio(destroy.secs, paced_delete),
            plan.calls,
            apply.calls,
            refresh.calls,
            destroy.calls,
        );
        targets.push(format!(
            "- {who}, K = {k}: apply ≤ {APPLY_OVER_FLOOR}× the floor{}: **{}** ({}; without Terraform's own {:.1} s: {}); overshoot ≤ {OVERSHOOT_S} s: **{}** ({:.2} s); peak RSS ≤ {PEAK_RSS_MB} MB: **{}** ({:.1} MB, {} build){}.",
            if paced > create { " under EC2's pacing" } else { "" },
            met(apply.secs <= APPLY_OVER_FLOOR * bound),
            ratio(apply.secs, bound),
            run.terraform_alone,
            ratio(apply.secs - run.terraform_alone, bound),
            met(run.overshoot <= OVERSHOOT_S),
            run.overshoot,
            met(rss * 1.048_576 <= PEAK_RSS_MB),
            rss * 1.048_576,
            profile_of(binary),
            if run.leftovers.is_empty() {
                String::new()
            } else {
                format!("; left after destroy: {}", run.leftovers)
            }
        ));
    }
    let _ = writeln!(
        out,
        "| floor | – | – | {create:.1} | | {paced:.1} | | | | – | – | {read:.1} | | – | {delete:.1} | {paced_delete:.1} | | {} / {} / {} | |",
        floor.phases[0].calls, floor.phases[1].calls, floor.phases[2].calls
    );
    out.push_str("\nTargets:\n\n");
    out.push_str(&targets.join("\n"));
    out.push('\n');
    if !floor.leftovers.is_empty() {
        let _ = writeln!(out, "\nFloor left after delete: {}.", floor.leftovers);
    }
    out
}

/// The floor under EC2's endpoint-create bucket: the floor's chain
/// (`create` less its longest pending) plus, over the endpoints in order of
/// pending time (longest first), the latest of slot + pending.
fn paced_floor(composite: &Composite, k: usize, profile: &LatencyProfile, create: f64) -> f64 {
    let interfaces = (composite.endpoint_creates - GATEWAYS) * k;
    let mut pending: Vec<f64> = (0..interfaces as u64)
        .map(|n| profile.pending_of(SEED, n, false).as_secs_f64())
        .chain((0..(GATEWAYS * k) as u64).map(|n| profile.pending_of(SEED, n, true).as_secs_f64()))
        .collect();
    pending.sort_by(|a, b| b.total_cmp(a));
    let longest = pending.first().copied().unwrap_or(0.0);
    let slot = |n: usize| (n as f64 + 1.0 - BUCKET_CAPACITY).max(0.0) / BUCKET_REFILL_PER_S;
    let paced = pending
        .iter()
        .enumerate()
        .map(|(n, p)| slot(n) + p)
        .fold(0.0, f64::max);
    create.max(create - longest + paced)
}

/// One provider run: through a proxy with `profile` (`None`: straight to
/// the emulator), plan -out, apply of the plan, plan, destroy.
fn provider_run(
    composite: &Composite,
    k: usize,
    binary: &Path,
    profile: Option<&LatencyProfile>,
) -> ProviderRun {
    let proxy = profile.map(|p| {
        FaultProxy::start(
            &moto::shared().endpoint,
            FaultConfig::new(SEED).latency_profile(p.clone()),
        )
    });
    let account = moto::shared().new_account();
    let networks = build_networks(&account, k);
    let mut ws = Workspace::with_provider(composite.hcl, binary);
    ws.set_envs(account.aws_env());
    let endpoints = proxy
        .as_ref()
        .map_or(String::new(), |p| format!("\n  {}\n", p.endpoints_block()));
    ws.write(
        "provider.tf",
        &format!("provider \"sagemaker\" {{{endpoints}}}\n"),
    );
    ws.write("networks.auto.tfvars.json", &tfvars(&networks));
    ws.init();
    ws.set_env("TF_LOG_PROVIDER", "DEBUG");
    if let Some(p) = profile {
        ws.set_env("SAGEMAKER_SETTLE_SCALE", &p.scale.to_string());
    }
    let commands: [&[&str]; 4] = [
        &["plan", "-input=false", "-out=tfplan"],
        &["apply", "-input=false", "tfplan"],
        &["plan", "-input=false", "-detailed-exitcode", "-out=noop"],
        &["destroy", "-input=false", "-auto-approve"],
    ];
    let mut phases: [Phase; 4] = Default::default();
    let mut details = Vec::new();
    let mut overshoot = f64::NAN;
    let mut terraform_alone = f64::NAN;
    for (i, args) in commands.iter().enumerate() {
        if i == 3 && phases[2].note.is_none() {
            let began = Instant::now();
            ws.run(&["apply", "-input=false", "noop"]);
            terraform_alone = began.elapsed().as_secs_f64();
        }
        let (phase, detail) = terraform_phase(&mut ws, args);
        if i == 1 {
            let returned = Instant::now();
            // The last object awaited: an endpoint, or a Studio domain.
            let last_ready = proxy.as_ref().and_then(|p| {
                let endpoints = p.endpoints_ready().into_iter();
                endpoints.chain(p.domains_ready()).map(|(_, at)| at).max()
            });
            // `returned` is after the log was read too: a few ms high.
            overshoot = last_ready.map_or(f64::NAN, |at| {
                returned.saturating_duration_since(at).as_secs_f64()
            });
        }
        phases[i] = phase;
        details.push(detail);
    }
    ProviderRun {
        phases,
        details,
        overshoot,
        terraform_alone,
        leftovers: leftovers(&account),
    }
}

/// True when the provider `binary` has the composite's resource type (a
/// build from before it was added does not): its name is in the binary.
fn knows(binary: &Path, composite: &Composite) -> bool {
    let type_name = composite
        .label
        .split_whitespace()
        .next()
        .unwrap_or_default();
    std::fs::read(binary).is_ok_and(|bytes| {
        bytes
            .windows(type_name.len())
            .any(|w| w == type_name.as_bytes())
    })
}

/// The contenders whose build has the composite (see [`knows`]).
fn able<'c>(
    composite: &Composite,
    contenders: &'c [(String, PathBuf)],
) -> Vec<&'c (String, PathBuf)> {
    contenders
        .iter()
        .filter(|(_, binary)| knows(binary, composite))
        .collect()
}

/// Writes the results: what is done, the part in progress, the running time.
fn write(done: &str, current: &str, started: Instant) {
    let mut text = format!("{done}{current}");
    let _ = write!(
        text,
        "\n---\nThis section ran for {:.1} min; load average at the end {}.\n",
        started.elapsed().as_secs_f64() / 60.0,
        load_average()
    );
    let path = results_file(RESULTS);
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    eprintln!("bench latency: results written to {}", path.display());
}
