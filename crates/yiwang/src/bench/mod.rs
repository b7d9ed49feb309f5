//! `yiwang bench …`: benchmarks any user can run on their own machine. Each prints the machine,
//! the command and the numbers.

pub mod city;
mod city_history;
mod city_map;
pub mod http;

use std::time::Duration;

#[derive(clap::Subcommand, Clone, Debug)]
pub enum BenchCommand {
    /// A year of a big city's requests bulk imported, then evaluation, case search and
    /// point → grid timed on it (use an empty --data directory or database).
    City(city::Options),
    /// Reports per second through the real API (`POST /api/reports`) on loopback, the server
    /// in this process on --listen, the load from wrk (or a built-in client).
    Http(http::Options),
}

/// The machine, as the first lines of every benchmark's output.
pub fn describe_machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let ram = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kb| format!("{:.1} GiB RAM", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown RAM".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("machine: {cores} cores ({cpu}), {ram}; {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

/// The process's peak resident memory (Linux), in bytes.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    Some(kb * 1024)
}

/// CPU time this thread has run (Linux), so that a rate per core holds on a shared machine.
pub fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(stat.split_whitespace().next()?.parse().ok()?))
}

/// Timings of repeated operations.
#[derive(Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn first(&self) -> Duration {
        self.0.first().copied().unwrap_or_default()
    }

    /// The `q` quantile (nearest rank), 0 ≤ q ≤ 1.
    pub fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}
