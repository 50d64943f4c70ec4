//! Options for building stores, and how they are completed from the environment.
//!
//! Explicit options always win; unset ones are filled from the variables users of the peer
//! tools already set (`AWS_*`, `AZURE_STORAGE_*`, `STORAGE_EMULATOR_HOST`, ...).

use std::fmt;
use std::time::Duration;

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
        }
    }
}

impl StoreOptions {
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
