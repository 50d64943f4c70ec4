//! Client hosts as users write them (`--hosts h1:4,h2:4`, `--hosts h1 h2`, `h1,h2`) and
//! the `mpirun` prefix mlpstorage builds from them (`generate_mpi_prefix_cmd`).

/// One host and its slots (processes it runs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub slots: u64,
}

/// Why a host list does not work.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HostsError {
    #[error("--hosts entry {0:?}: the slots after ':' must be a positive whole number")]
    BadSlots(String),
    #[error("--hosts has {slots} slot(s) in all, not enough for {processes} processes")]
    TooFewSlots { slots: u64, processes: u64 },
    #[error("--hosts is empty")]
    Empty,
}

/// Splits `--hosts` values on commas and white space and gives each host its slots: the
/// ones written (`h1:4`), else `processes` spread evenly, the first hosts taking the rest.
pub fn parse(values: &[String], processes: u64) -> Result<Vec<Host>, HostsError> {
    let entries: Vec<&str> = values
        .iter()
        .flat_map(|v| v.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|s| !s.is_empty())
        .collect();
    if entries.is_empty() {
        return Err(HostsError::Empty);
    }
    let written = entries.iter().any(|e| split_slots(e).1.is_some());
    if written {
        let mut hosts = Vec::new();
        for e in &entries {
            let (name, slots) = match split_slots(e) {
                (n, Some(s)) => (
                    n,
                    s.parse::<u64>()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| HostsError::BadSlots(e.to_string()))?,
                ),
                (n, None) => (n, 1),
            };
            hosts.push(Host {
                name: name.to_string(),
                slots,
            });
        }
        let slots: u64 = hosts.iter().map(|h| h.slots).sum();
        if slots < processes {
            return Err(HostsError::TooFewSlots { slots, processes });
        }
        return Ok(hosts);
    }
    let n = entries.len() as u64;
    Ok(entries
        .iter()
        .enumerate()
        .map(|(i, name)| Host {
            name: name.to_string(),
            slots: processes / n + u64::from((i as u64) < processes % n),
        })
        .filter(|h| h.slots > 0)
        .collect())
}

/// `host:slots`, `[v6addr]:slots`; a bare IPv6 address (several `:`) has no slots.
fn split_slots(e: &str) -> (&str, Option<&str>) {
    if let Some(rest) = e.strip_prefix('[')
        && let Some((addr, tail)) = rest.split_once(']')
    {
        return (addr, tail.strip_prefix(':'));
    }
    match e.split_once(':') {
        Some((n, s)) if !s.contains(':') => (n, Some(s)),
        _ => (e, None),
    }
}

/// Whether every host is this machine (no `-host` needed, the environment is inherited).
pub fn all_local(hosts: &[Host], this_host: &str) -> bool {
    hosts
        .iter()
        .all(|h| matches!(h.name.as_str(), "localhost" | "127.0.0.1" | "::1") || h.name == this_host)
}

/// What `mpirun` needs besides the command: mlpstorage's prefix, and `-x NAME` for every
/// variable in `forward` so that ranks on other hosts see the credentials and endpoints
/// (values stay out of the command line).
#[derive(Debug, Clone, Default)]
pub struct MpiOptions {
    pub mpi_bin: String,
    pub oversubscribe: bool,
    pub allow_run_as_root: bool,
    /// Extra arguments, as given (`--mpi-params "--mca btl tcp,self"`), split on white space.
    pub params: Vec<String>,
    pub forward: Vec<String>,
}

/// `mpirun -n N -host h1:4,h2:4 --bind-to none --map-by node|socket [...]`.
pub fn mpi_prefix(hosts: &[Host], processes: u64, o: &MpiOptions) -> Vec<String> {
    let mut args = vec![
        o.mpi_bin.clone(),
        "-n".into(),
        processes.to_string(),
        "-host".into(),
        hosts
            .iter()
            .map(|h| format!("{}:{}", h.name, h.slots))
            .collect::<Vec<_>>()
            .join(","),
        "--bind-to".into(),
        "none".into(),
        "--map-by".into(),
    ];
    let unique: std::collections::BTreeSet<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
    args.push(if unique.len() > 1 { "node" } else { "socket" }.into());
    if o.oversubscribe {
        args.push("--oversubscribe".into());
    }
    if o.allow_run_as_root {
        args.push("--allow-run-as-root".into());
    }
    for name in &o.forward {
        args.push("-x".into());
        args.push(name.clone());
    }
    args.extend(
        o.params
            .iter()
            .flat_map(|p| p.split_whitespace())
            .map(str::to_string),
    );
    args
}

/// (hostname, bytes) of each line `<hostname> MemTotal: <kB> kB` (what [`MEMINFO_SCRIPT`]
/// prints on each host under mpirun, one process per listed host: two addresses of one
/// machine answer twice, with one name). Lines of anything else (launcher chatter) are skipped.
pub fn parse_meminfo(text: &str) -> Vec<(String, u64)> {
    let mut hosts = Vec::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(host), Some("MemTotal:"), Some(kb), Some("kB")) = (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        if let Ok(kb) = kb.parse::<u64>() {
            hosts.push((host.to_string(), kb * 1024));
        }
    }
    hosts
}

/// The shell command each host runs to report its memory (`sh -c` under mpirun).
pub const MEMINFO_SCRIPT: &str = r#"echo "$(hostname) $(grep MemTotal /proc/meminfo)""#;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn host_lists_as_users_write_them() {
        let want = vec![
            Host {
                name: "h1".into(),
                slots: 4,
            },
            Host {
                name: "h2".into(),
                slots: 4,
            },
        ];
        assert_eq!(parse(&s(&["h1:4,h2:4"]), 8), Ok(want.clone()));
        assert_eq!(parse(&s(&["h1:4", "h2:4"]), 8), Ok(want.clone()));
        assert_eq!(parse(&s(&["h1:4 h2:4"]), 6), Ok(want.clone()));
        assert_eq!(parse(&s(&["h1,h2"]), 8), Ok(want.clone()));
        assert_eq!(parse(&s(&["h1", "h2"]), 8), Ok(want));
        let uneven = parse(&s(&["a,b,c"]), 7).expect("uneven");
        assert_eq!(uneven.iter().map(|h| h.slots).collect::<Vec<_>>(), vec![3, 2, 2]);
        assert_eq!(parse(&s(&["a,b,c"]), 2).expect("fewer").len(), 2);
        assert_eq!(
            parse(&s(&["h1:4,h2:2"]), 8),
            Err(HostsError::TooFewSlots {
                slots: 6,
                processes: 8
            })
        );
        assert_eq!(parse(&s(&["h1:x"]), 1), Err(HostsError::BadSlots("h1:x".into())));
        assert_eq!(parse(&s(&[" , "]), 1), Err(HostsError::Empty));
        assert_eq!(
            parse(&s(&["::1"]), 2).expect("v6")[0],
            Host {
                name: "::1".into(),
                slots: 2
            }
        );
        assert_eq!(
            parse(&s(&["[fd00::2]:4"]), 4).expect("v6 slots")[0],
            Host {
                name: "fd00::2".into(),
                slots: 4
            }
        );
    }

    #[test]
    fn meminfo_lines() {
        let m = parse_meminfo("h1 MemTotal:       24683664 kB\nWarning: noise\nh2 MemTotal: 1024 kB\n");
        assert_eq!(
            m,
            vec![
                ("h1".to_string(), 24_683_664 * 1024),
                ("h2".to_string(), 1024 * 1024)
            ]
        );
        assert!(parse_meminfo("").is_empty());
    }

    #[test]
    fn mpirun_prefix() {
        let hosts = parse(&s(&["h1:4,h2:4"]), 8).expect("hosts");
        let o = MpiOptions {
            mpi_bin: "mpirun".into(),
            oversubscribe: true,
            allow_run_as_root: false,
            params: s(&["--mca btl tcp,self"]),
            forward: s(&["AWS_SECRET_ACCESS_KEY"]),
        };
        assert_eq!(
            mpi_prefix(&hosts, 8, &o).join(" "),
            "mpirun -n 8 -host h1:4,h2:4 --bind-to none --map-by node --oversubscribe -x AWS_SECRET_ACCESS_KEY --mca btl tcp,self"
        );
        assert!(all_local(&parse(&s(&["localhost:2"]), 2).expect("local"), "box"));
        assert!(!all_local(&hosts, "box"));
    }
}
