//! What machine a rank runs on (for results and DLIO's `summary.json`), and the CPU time
//! this process has used.

use serde::{Deserialize, Serialize};

/// The host a rank ran on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: String,
    pub cpus: usize,
    pub memory_bytes: u64,
    pub processor: String,
}

/// DLIO's local-time timestamp (`%Y-%m-%dT%H:%M:%S.%f`).
pub fn timestamp() -> String {
    chrono::Local::now().format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

impl HostInfo {
    /// This host: name, logical CPUs, memory (from `/proc/meminfo`), processor model.
    pub fn current() -> HostInfo {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        HostInfo {
            hostname: hostname(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_bytes: field(&meminfo, "MemTotal")
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .map_or(0, |kib| kib * 1024),
            processor: field(&cpuinfo, "model name").unwrap_or_default(),
        }
    }
}

/// `key: value` lines as DLIO's `lines_to_dict` reads `/proc/cpuinfo` and `/proc/meminfo`
/// (a later line wins, so cpuinfo describes the last processor).
pub fn proc_dict(path: &str) -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut m = serde_json::Map::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim();
            if !k.is_empty() && k != "processor" && !v.contains(':') {
                m.insert(k.to_string(), serde_json::Value::String(v.trim().to_string()));
            }
        }
    }
    m
}

fn field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// User plus system CPU seconds of this process so far.
pub fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) } != 0 {
        return 0.0;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_host() {
        let h = HostInfo::current();
        assert!(
            h.cpus >= 1 && h.memory_bytes > 0 && !h.hostname.is_empty(),
            "{h:?}"
        );
        assert!(proc_dict("/proc/meminfo").contains_key("MemTotal"));
        let before = cpu_seconds();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0 && cpu_seconds() > before, "busy work takes CPU time");
    }
}
