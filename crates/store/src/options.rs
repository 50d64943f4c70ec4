//! Options for building stores, and how they are completed from the environment.
//!
//! Explicit options always win; unset ones are filled from the variables users of the peer
//! tools already set (`AWS_*`, `AZURE_STORAGE_*`, `STORAGE_EMULATOR_HOST`, ...).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::record::RecordSink;

/// A credential. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value, for handing to a client library; never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How a multi-endpoint store picks an endpoint for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LoadBalance {
    #[default]
    RoundRobin,
    Random,
    LeastOutstanding,
}

impl std::str::FromStr for LoadBalance {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "round_robin" | "round-robin" => Ok(LoadBalance::RoundRobin),
            "random" => Ok(LoadBalance::Random),
            "least_outstanding" | "least-outstanding" => Ok(LoadBalance::LeastOutstanding),
            _ => Err(format!(
                "unknown load balance strategy {s:?}; expected round_robin, random or least_outstanding"
            )),
        }
    }
}

/// Retries of transient failures: exponential backoff with full jitter.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryOptions {
    /// Total attempts, including the first (1 = no retry).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryOptions {
    fn default() -> Self {
        RetryOptions {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// Everything a store may need. `Default` + [`StoreOptions::with_env`] is the usual start.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    // --- S3 ---
    /// S3 endpoint URL for S3-compatible servers (`AWS_ENDPOINT_URL`, `ENDPOINT_URL`).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    pub session_token: Option<Secret>,
    /// Virtual-hosted-style requests; default path style (what S3-compatible servers expect).
    pub virtual_hosted_style: bool,
    /// Allow plain http; default: allowed when the endpoint itself is `http://`.
    pub allow_http: Option<bool>,
    /// Sign requests without hashing the payload (`UNSIGNED-PAYLOAD`): much less client CPU.
    pub unsigned_payload: bool,
    /// Send anonymous (unsigned) S3 requests even when credentials are configured.
    pub anonymous: bool,
    // --- Azure ---
    pub azure_account: Option<String>,
    pub azure_key: Option<Secret>,
    pub azure_connection_string: Option<Secret>,
    /// Blob endpoint, e.g. `http://127.0.0.1:10000/devstoreaccount1` for Azurite.
    pub azure_endpoint: Option<String>,
    // --- GCS ---
    /// `STORAGE_EMULATOR_HOST`: talk to an emulator without credentials.
    pub gcs_emulator_host: Option<String>,
    /// `GOOGLE_APPLICATION_CREDENTIALS`: a service account JSON file.
    pub gcs_credentials_path: Option<String>,
    // --- multi-endpoint ---
    /// Several endpoint URLs (doors to one namespace) or several root URIs (independent roots).
    pub endpoints: Vec<String>,
    pub load_balance: LoadBalance,
    /// Rank *r* always uses endpoint *r mod n* (doors to one namespace only).
    pub pin_to_rank: bool,
    /// Rank for pinning; default from `OMPI_COMM_WORLD_RANK` or `PMI_RANK`.
    pub rank: Option<usize>,
    // --- transfers ---
    /// Part size of multipart/streaming writes.
    pub part_size: usize,
    /// Parts uploaded concurrently by one writer.
    pub part_concurrency: usize,
    pub retry: RetryOptions,
    pub connect_timeout: Duration,
    /// Longest time a request may wait for the next bytes (not a cap on the whole transfer).
    pub idle_timeout: Duration,
    // --- measurement ---
    /// Where each request's [`OpRecord`](crate::record::OpRecord) goes (none: nothing is
    /// recorded, at no cost).
    pub sink: Option<Arc<dyn RecordSink>>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            endpoint: None,
            region: None,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            virtual_hosted_style: false,
            allow_http: None,
            unsigned_payload: true,
            anonymous: false,
            azure_account: None,
            azure_key: None,
            azure_connection_string: None,
            azure_endpoint: None,
            gcs_emulator_host: None,
            gcs_credentials_path: None,
            endpoints: Vec::new(),
            load_balance: LoadBalance::RoundRobin,
            pin_to_rank: false,
            rank: None,
            part_size: 16 * 1024 * 1024,
            part_concurrency: 8,
            retry: RetryOptions::default(),
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
            sink: None,
        }
    }
}

/// Options a user gives on the command line, laid over a store's other options (a workload's
/// `storage_options`, or the defaults) by [`StoreOptions::apply`]: a value set here wins, an
/// unset one leaves the other as it is; the environment fills what is still unset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreOverrides {
    /// Endpoint URLs (doors to one namespace) or root URIs (independent roots).
    pub endpoints: Vec<String>,
    pub load_balance: Option<LoadBalance>,
    /// Pin this rank to endpoint `rank mod n`.
    pub pin_rank: bool,
    pub rank: Option<usize>,
    pub part_size: Option<usize>,
    pub part_concurrency: Option<usize>,
    /// Attempts per request, the first included.
    pub max_attempts: Option<u32>,
    pub connect_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
}

impl StoreOptions {
    /// `o` laid over these options (see [`StoreOverrides`]). Endpoint URLs (`http(s)://`)
    /// are doors to object stores: a store rooted at `uri` on local storage or in memory
    /// keeps its own (none), so one command line can name object-store endpoints and local
    /// paths side by side (`cp ./x s3://b/x --endpoint URL`).
    pub fn apply(mut self, o: &StoreOverrides, uri: &str) -> StoreOptions {
        let local = crate::StoreUri::parse(uri)
            .is_ok_and(|u| u.scheme.is_local() || u.scheme == crate::Scheme::Memory);
        let urls = o
            .endpoints
            .iter()
            .all(|e| e.starts_with("http://") || e.starts_with("https://"));
        let for_object_stores_only = local && urls;
        if !o.endpoints.is_empty() && !for_object_stores_only {
            self.endpoints = o.endpoints.clone();
        }
        if let Some(lb) = o.load_balance {
            self.load_balance = lb;
        }
        if o.pin_rank {
            self.pin_to_rank = true;
        }
        if o.rank.is_some() {
            self.rank = o.rank;
        }
        if let Some(p) = o.part_size {
            self.part_size = p;
        }
        if let Some(c) = o.part_concurrency {
            self.part_concurrency = c;
        }
        if let Some(a) = o.max_attempts {
            self.retry.max_attempts = a.max(1);
        }
        if let Some(t) = o.connect_timeout {
            self.connect_timeout = t;
        }
        if let Some(t) = o.idle_timeout {
            self.idle_timeout = t;
        }
        self
    }

    /// Fills every unset option from the process environment.
    pub fn with_env(self) -> StoreOptions {
        self.with_env_from(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Fills every unset option from `get` (an environment lookup; injectable for tests).
    pub fn with_env_from(mut self, get: impl Fn(&str) -> Option<String>) -> StoreOptions {
        let first = |names: &[&str]| names.iter().find_map(|n| get(n));
        fill(&mut self.endpoint, || {
            first(&["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "ENDPOINT_URL"])
        });
        fill(&mut self.region, || {
            first(&["AWS_REGION", "AWS_DEFAULT_REGION", "REGION"])
        });
        fill(&mut self.access_key_id, || {
            first(&["AWS_ACCESS_KEY_ID", "ACCESS_KEY_ID"])
        });
        fill(&mut self.secret_access_key, || {
            first(&["AWS_SECRET_ACCESS_KEY", "SECRET_ACCESS_KEY"]).map(Secret)
        });
        fill(&mut self.session_token, || {
            first(&["AWS_SESSION_TOKEN"]).map(Secret)
        });
        fill(&mut self.azure_account, || first(&["AZURE_STORAGE_ACCOUNT"]));
        fill(&mut self.azure_key, || {
            first(&["AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCESS_KEY"]).map(Secret)
        });
        fill(&mut self.azure_connection_string, || {
            first(&["AZURE_STORAGE_CONNECTION_STRING"]).map(Secret)
        });
        fill(&mut self.azure_endpoint, || {
            first(&["AZURE_STORAGE_ENDPOINT", "AZURE_BLOB_ENDPOINT"])
        });
        fill(&mut self.gcs_emulator_host, || first(&["STORAGE_EMULATOR_HOST"]));
        fill(&mut self.gcs_credentials_path, || {
            first(&["GOOGLE_APPLICATION_CREDENTIALS"])
        });
        fill(&mut self.rank, || {
            first(&["OMPI_COMM_WORLD_RANK", "PMI_RANK"]).and_then(|r| r.parse().ok())
        });
        self
    }
}

fn fill<T>(slot: &mut Option<T>, value: impl FnOnce() -> Option<T>) {
    if slot.is_none() {
        *slot = value();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn env_fills_unset_and_explicit_wins() {
        let opts = StoreOptions {
            region: Some("eu-west-1".into()),
            ..Default::default()
        }
        .with_env_from(env(&[
            ("ACCESS_KEY_ID", "ak"),
            ("SECRET_ACCESS_KEY", "sk"),
            ("ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_REGION", "us-east-1"),
            ("PMI_RANK", "3"),
        ]));
        assert_eq!(opts.access_key_id.as_deref(), Some("ak"));
        assert_eq!(opts.secret_access_key.as_ref().map(Secret::expose), Some("sk"));
        assert_eq!(opts.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(opts.region.as_deref(), Some("eu-west-1"));
        assert_eq!(opts.rank, Some(3));
    }

    #[test]
    fn aws_names_take_precedence_over_short_names() {
        let opts = StoreOptions::default()
            .with_env_from(env(&[("ACCESS_KEY_ID", "short"), ("AWS_ACCESS_KEY_ID", "aws")]));
        assert_eq!(opts.access_key_id.as_deref(), Some("aws"));
    }

    #[test]
    fn overrides_win_and_url_endpoints_skip_local_roots() {
        let o = StoreOverrides {
            endpoints: vec!["http://a:1".into(), "http://b:2".into()],
            load_balance: Some(LoadBalance::Random),
            pin_rank: true,
            rank: Some(3),
            part_size: Some(1 << 20),
            part_concurrency: Some(2),
            max_attempts: Some(0),
            connect_timeout: Some(Duration::from_secs(1)),
            idle_timeout: Some(Duration::from_secs(2)),
        };
        let base = StoreOptions {
            part_size: 5,
            ..Default::default()
        };
        let s3 = base.clone().apply(&o, "s3://b/p");
        assert_eq!(s3.endpoints, o.endpoints);
        assert_eq!(
            (
                s3.load_balance,
                s3.pin_to_rank,
                s3.rank,
                s3.part_size,
                s3.part_concurrency
            ),
            (LoadBalance::Random, true, Some(3), 1 << 20, 2)
        );
        assert_eq!(s3.retry.max_attempts, 1, "at least one attempt");
        assert_eq!(
            (s3.connect_timeout, s3.idle_timeout),
            (Duration::from_secs(1), Duration::from_secs(2))
        );
        assert!(base.clone().apply(&o, "file:///x").endpoints.is_empty());
        let roots = StoreOverrides {
            endpoints: vec!["file:///y".into()],
            ..Default::default()
        };
        assert_eq!(base.clone().apply(&roots, "file:///x").endpoints, ["file:///y"]);
        assert_eq!(
            base.apply(&StoreOverrides::default(), "s3://b").part_size,
            5,
            "unset leaves it"
        );
    }

    #[test]
    fn secrets_never_debug_print() {
        let opts = StoreOptions {
            secret_access_key: Some(Secret::new("hunter2")),
            azure_key: Some(Secret::new("azkey")),
            ..Default::default()
        };
        let text = format!("{opts:?}");
        assert!(!text.contains("hunter2") && !text.contains("azkey"), "{text}");
    }
}
