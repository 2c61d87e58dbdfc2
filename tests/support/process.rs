//! What `/proc` says about other processes (Linux): whether one still runs,
//! its parent, its CPU time, and the processes started from a given
//! directory — for the tests that check how the provider process behaves
//! when Terraform dies or when another local process floods its port.

use std::path::Path;
use std::time::{Duration, Instant};

/// Clock ticks per second of `/proc/PID/stat` times (`USER_HZ`, 100 on
/// every Linux architecture Rust supports).
const TICKS_PER_SECOND: f64 = 100.0;

/// The fields of `/proc/PID/stat` after `(comm)`: state first, then ppid…
/// `None` once the process is gone (reaped).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`: comm may hold spaces and ')', so split
    // after the last ')'.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    Some(after_comm.split_whitespace().map(str::to_owned).collect())
}

/// True while `pid` runs: it exists and is not a zombie (a process whose
/// new parent, init or a subreaper, has not reaped it yet has exited).
pub fn is_running(pid: u32) -> bool {
    stat_fields(pid).is_some_and(|fields| fields[0] != "Z" && fields[0] != "X")
}

/// The parent of `pid`, while it exists.
pub fn parent_of(pid: u32) -> Option<u32> {
    stat_fields(pid)?.get(1)?.parse().ok()
}

/// User plus system CPU time `pid` has used so far.
///
/// # Panics
/// When the process is gone.
pub fn cpu_time(pid: u32) -> Duration {
    let fields = stat_fields(pid).unwrap_or_else(|| panic!("process {pid} is gone"));
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after comm.
    let ticks: u64 =
        fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND)
}

/// The running processes whose executable lies under `dir` (e.g. the
/// provider binary a Terraform workspace installed).
pub fn running_from(dir: &Path) -> Vec<u32> {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe.starts_with(&dir))
        })
        .filter(|pid| is_running(*pid))
        .collect()
}

/// The executable file name of `pid` (`terraform`, …), while it exists.
pub fn program_of(pid: u32) -> Option<String> {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    Some(exe.file_name()?.to_string_lossy().into_owned())
}

/// Waits until none of `pids` runs; returns how long that took, or `None`
/// if one still runs after `limit`.
pub fn wait_until_gone(pids: &[u32], limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    loop {
        if !pids.iter().any(|pid| is_running(*pid)) {
            return Some(started.elapsed());
        }
        if started.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills each of `pids` still running (`kill -9`) when dropped: a failing
/// test leaves no provider behind.
pub struct KillOnDrop(pub Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in self.0.iter().filter(|pid| is_running(**pid)) {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }
}
