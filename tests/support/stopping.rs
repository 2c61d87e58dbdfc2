//! Stopping a running `terraform apply` the way users and crashes do:
//! finding terraform and its provider process by the workspace they run
//! in, and running an apply that the test stops (SIGINT, `kill -9`) once
//! it reached a given point.

use super::terraform::{Output, Workspace};
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How long a test waits for an apply to reach the point where it is stopped.
pub const REACH_POINT: Duration = Duration::from_secs(60);

/// The processes whose working directory is `dir`, as (pid, command name).
fn processes_in(dir: &Path) -> Vec<(u32, String)> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cwd = std::fs::read_link(entry.path().join("cwd")).ok()?;
            let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            (cwd == dir).then(|| (pid, comm.trim().to_owned()))
        })
        .collect()
}

/// The children of process `pid` (from `/proc/PID/task/*/children`).
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// The command name of process `pid` (truncated by Linux to 15 bytes).
fn command_name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().to_owned())
        .unwrap_or_default()
}

/// The terraform process running in workspace `ws`.
pub fn terraform_pid(ws: &Workspace) -> Option<u32> {
    processes_in(ws.path())
        .into_iter()
        .find(|(_, comm)| comm == "terraform")
        .map(|(pid, _)| pid)
}

/// The provider process terraform in `ws` runs now: its child named
/// `terraform-provider-sagemaker…`.
pub fn provider_pid(ws: &Workspace) -> Option<u32> {
    let terraform = terraform_pid(ws)?;
    children_of(terraform)
        .into_iter()
        .find(|pid| command_name(*pid).starts_with("terraform-provi"))
}

/// Runs `terraform apply` on a thread; once `reached` says so (polled
/// every 50 ms), calls `stop`; returns terraform's output and the time
/// from `stop` to terraform's exit.
pub fn apply_and_stop(
    ws: &Workspace,
    reached: impl Fn() -> bool,
    stop: impl FnOnce(),
) -> (Output, Duration) {
    std::thread::scope(|scope| {
        let apply = scope.spawn(|| {
            let output = ws.run(&["apply", "-input=false", "-auto-approve"]);
            (output, Instant::now())
        });
        let started = Instant::now();
        while !reached() {
            assert!(
                !apply.is_finished(),
                "the apply ended before the point where the test stops it"
            );
            assert!(
                started.elapsed() < REACH_POINT,
                "the apply did not reach the point where the test stops it within {REACH_POINT:?}"
            );
            sleep(Duration::from_millis(50));
        }
        eprintln!(
            "the apply reached the stopping point after {:?}",
            started.elapsed()
        );
        let stopped = Instant::now();
        stop();
        let (output, exited) = apply.join().expect("the apply thread");
        (output, exited.duration_since(stopped))
    })
}

/// Waits (up to `limit`) until `done` holds; false if it never did.
pub fn eventually(limit: Duration, done: impl Fn() -> bool) -> bool {
    let started = Instant::now();
    while !done() {
        if started.elapsed() > limit {
            return false;
        }
        sleep(Duration::from_millis(100));
    }
    true
}
