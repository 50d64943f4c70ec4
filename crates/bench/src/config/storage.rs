//! The workload's `storage:` section: where the dataset lives and how to reach it. DLIO
//! 3.0.2's keys (`storage_type`, `storage_root`, `storage_library`,
//! `post_generation_settle_seconds`, the free-form `storage_options` map) plus mlstor's
//! multi-endpoint options. mlstor's own store does the I/O whatever library is named.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::lenient::{opt_bool_like, opt_string_like, opt_u32_like, opt_u64_like, string_like};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageType {
    #[default]
    LocalFs,
    ParallelFs,
    S3,
    /// DLIO 3.0.2: local files through O_DIRECT (mlstor's `direct://`).
    DirectFs,
    /// DLIO 3.0.2: NVIDIA AIStore through its SDK. Accepted in a workload; a run refuses it
    /// (use AIStore's S3 API with `storage_type: s3`).
    Aistore,
    /// mlstor: Azure Blob storage (`az://`).
    Azure,
    /// mlstor: Google Cloud Storage (`gs://`).
    Gcs,
}

impl StorageType {
    /// The name the YAML uses.
    pub fn name(self) -> &'static str {
        match self {
            StorageType::LocalFs => "local_fs",
            StorageType::ParallelFs => "parallel_fs",
            StorageType::S3 => "s3",
            StorageType::DirectFs => "direct_fs",
            StorageType::Aistore => "aistore",
            StorageType::Azure => "azure",
            StorageType::Gcs => "gcs",
        }
    }

    /// Whether the dataset is in an object store (addressed as `<scheme>://<root>/<key>`).
    pub fn is_object(self) -> bool {
        matches!(
            self,
            StorageType::S3 | StorageType::Aistore | StorageType::Azure | StorageType::Gcs
        )
    }
}

/// Which storage library a run is recorded as using (DLIO 3.0.2: `s3dlio`,
/// `s3torchconnector`, `minio`; `direct` is its legacy O_DIRECT name on local_fs); mlstor's
/// own store does the I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageLibrary {
    Mlstor,
    S3dlio,
    S3torchconnector,
    Minio,
    /// Local files through O_DIRECT (DLIO 3.0.2 with local_fs).
    Direct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadBalanceStrategy {
    #[default]
    RoundRobin,
    Random,
    /// Also spelled `least_connections` (the s3dlio examples' name).
    #[serde(alias = "least_connections")]
    LeastOutstanding,
}

/// A credential from the YAML. `Debug` and serialization (the resolved config, results)
/// show `***`; only [`SecretString::expose`] gives the value, for handing to a client.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: impl Into<String>) -> SecretString {
        SecretString(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl Serialize for SecretString {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

impl<'de> Deserialize<'de> for SecretString {
    /// A string, or a number taken as its digits (a key from an environment variable).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
        string_like(d).map(SecretString)
    }
}

/// DLIO 3.0.2's `storage_options`: a free-form map. The keys some part of DLIO 3.0.2 reads
/// are typed here ([`StorageOptions::KEYS`]); any other key is kept in `other` and listed
/// among the ignored keys when the workload loads. mlstor's store uses the endpoint,
/// credentials, region, addressing style, retries and endpoint spreading; the reader
/// tuning keys of DLIO's own readers are recorded and have no effect.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageOptions {
    /// S3 endpoint (`http(s)://host:port`; without a scheme, `secure` picks it).
    #[serde(deserialize_with = "opt_string_like")]
    pub endpoint_url: Option<String>,
    #[serde(deserialize_with = "opt_string_like")]
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
    #[serde(deserialize_with = "opt_string_like")]
    pub region: Option<String>,
    /// Path-style addressing (DLIO: bool or `"true"`).
    #[serde(deserialize_with = "opt_bool_like")]
    pub s3_force_path_style: Option<bool>,
    /// Several endpoints: doors to one namespace, or independent root URIs.
    pub endpoint_uris: Vec<String>,
    pub load_balance_strategy: LoadBalanceStrategy,
    /// mlstor: pin rank `r` to endpoint `r mod n` (the s3dlio examples'
    /// `storage.use_mpi_endpoint_distribution`).
    #[serde(deserialize_with = "opt_bool_like", skip_serializing_if = "Option::is_none")]
    pub use_mpi_endpoint_distribution: Option<bool>,
    /// DLIO 3.0.2: the client library (`storage.storage_library` overrides it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_library: Option<StorageLibrary>,
    /// DLIO 3.0.2: the object URI scheme (`s3`, `az`, `gs`, `file`, `direct`) when
    /// `storage_root` names no scheme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_scheme: Option<String>,
    /// DLIO 3.0.2: attempts per request (default 5); mlstor's retry attempts.
    #[serde(deserialize_with = "opt_u32_like", skip_serializing_if = "Option::is_none")]
    pub s3_max_attempts: Option<u32>,
    /// DLIO 3.0.2 (s3torchconnector): an AWS profile name; recorded, no effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_profile: Option<String>,
    /// DLIO 3.0.2 (minio): `https` (default) or `http` for an `endpoint_url` without scheme.
    #[serde(deserialize_with = "opt_bool_like", skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// DLIO 3.0.2: object keys as full URIs; recorded, no effect (mlstor addresses by URI).
    #[serde(deserialize_with = "opt_bool_like", skip_serializing_if = "Option::is_none")]
    pub use_full_object_uri: Option<bool>,
    /// DLIO 3.0.2: row groups / chunks a streaming reader keeps in flight; recorded.
    #[serde(deserialize_with = "opt_u64_like", skip_serializing_if = "Option::is_none")]
    pub prefetch_window: Option<u64>,
    /// DLIO 3.0.2 (parquet readers, also spelled `prefetch`): reader threads; recorded.
    #[serde(
        alias = "prefetch",
        deserialize_with = "opt_u64_like",
        skip_serializing_if = "Option::is_none"
    )]
    pub prefetch_workers: Option<u64>,
    /// DLIO 3.0.2: the parquet columns a reader fetches (default all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// DLIO 3.0.2 (s3dlio parquet readers): `raw` or `arrow`; recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode: Option<String>,
    /// DLIO 3.0.2 (s3dlio parquet readers); recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode_output: Option<String>,
    /// DLIO 3.0.2 (s3dlio parquet readers); recorded.
    #[serde(deserialize_with = "opt_u64_like", skip_serializing_if = "Option::is_none")]
    pub max_outstanding: Option<u64>,
    /// DLIO 3.0.2 (s3dlio parquet readers): footer bytes fetched first; recorded.
    #[serde(deserialize_with = "opt_u64_like", skip_serializing_if = "Option::is_none")]
    pub footer_cap: Option<u64>,
    /// DLIO 3.0.2 (s3dlio parquet readers); recorded.
    #[serde(deserialize_with = "opt_u64_like", skip_serializing_if = "Option::is_none")]
    pub footer_batch_size: Option<u64>,
    /// DLIO 3.0.2 (s3dlio parquet readers): row groups per GET; recorded.
    #[serde(deserialize_with = "opt_u64_like", skip_serializing_if = "Option::is_none")]
    pub coalesce_rgs: Option<u64>,
    /// DLIO 3.0.2 (s3dlio parquet readers): progress log interval; recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sim_log_secs: Option<f64>,
    /// DLIO 3.0.2: a dry run without I/O; recorded, no effect.
    #[serde(deserialize_with = "opt_bool_like", skip_serializing_if = "Option::is_none")]
    pub simulate_io: Option<bool>,
    /// DLIO 3.0.2: loader workers start staggered; recorded, no effect.
    #[serde(deserialize_with = "opt_bool_like", skip_serializing_if = "Option::is_none")]
    pub stagger_workers: Option<bool>,
    /// Keys no part of DLIO 3.0.2 reads: kept (and printed back) but unused.
    #[serde(flatten, skip_deserializing)]
    pub other: BTreeMap<String, serde_yaml_ng::Value>,
}

impl StorageOptions {
    /// The keys DLIO 3.0.2 or mlstor reads in `storage_options` (`prefetch` is
    /// `prefetch_workers`' other name).
    pub const KEYS: &'static [&'static str] = &[
        "endpoint_url",
        "access_key_id",
        "secret_access_key",
        "region",
        "s3_force_path_style",
        "endpoint_uris",
        "load_balance_strategy",
        "use_mpi_endpoint_distribution",
        "storage_library",
        "uri_scheme",
        "s3_max_attempts",
        "s3_profile",
        "secure",
        "use_full_object_uri",
        "prefetch_window",
        "prefetch_workers",
        "prefetch",
        "columns",
        "decode",
        "decode_output",
        "max_outstanding",
        "footer_cap",
        "footer_batch_size",
        "coalesce_rgs",
        "sim_log_secs",
        "simulate_io",
        "stagger_workers",
    ];

    /// The endpoint with its scheme: as given, or `https://` / `http://` by `secure` (as
    /// DLIO's minio client reads a bare `host:port`).
    pub fn endpoint(&self) -> Option<String> {
        let e = self
            .endpoint_url
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())?;
        if e.contains("://") {
            return Some(e.to_string());
        }
        let scheme = if self.secure.unwrap_or(true) {
            "https"
        } else {
            "http"
        };
        Some(format!("{scheme}://{e}"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Storage {
    pub storage_type: StorageType,
    /// For object stores: the bucket/container, optionally with a prefix; may be a URI
    /// (`s3://bucket/prefix`, `file:///path`) whose scheme then places the data.
    #[serde(deserialize_with = "string_like")]
    pub storage_root: String,
    /// DLIO 3.0.2: the client library; it overrides `storage_options.storage_library`.
    pub storage_library: Option<StorageLibrary>,
    /// DLIO 3.0.2: seconds rank 0 waits after generating data on non-local storage
    /// (recorded; mlstor's writes are complete when they return).
    pub post_generation_settle_seconds: f64,
    pub storage_options: StorageOptions,
}

impl Default for Storage {
    fn default() -> Storage {
        Storage {
            storage_type: StorageType::LocalFs,
            storage_root: "./".into(),
            storage_library: None,
            post_generation_settle_seconds: 0.0,
            storage_options: StorageOptions::default(),
        }
    }
}

impl Storage {
    /// The library in effect, as DLIO 3.0.2 decides it: `storage_library`, else
    /// `storage_options.storage_library`.
    pub fn library(&self) -> Option<StorageLibrary> {
        self.storage_library.or(self.storage_options.storage_library)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_take_their_scheme_from_secure_when_bare() {
        let mut o = StorageOptions {
            endpoint_url: Some("172.16.1.40:9000".into()),
            ..StorageOptions::default()
        };
        assert_eq!(o.endpoint().as_deref(), Some("https://172.16.1.40:9000"));
        o.secure = Some(false);
        assert_eq!(o.endpoint().as_deref(), Some("http://172.16.1.40:9000"));
        o.endpoint_url = Some("https://h:1".into());
        assert_eq!(o.endpoint().as_deref(), Some("https://h:1"), "a scheme wins");
        o.endpoint_url = Some(String::new());
        assert_eq!(o.endpoint(), None, "an empty endpoint is none");
    }

    #[test]
    fn unknown_options_print_back_beside_the_known_ones() {
        let mut o = StorageOptions::default();
        o.other.insert("foo".into(), serde_yaml_ng::Value::Bool(true));
        let text = serde_yaml_ng::to_string(&o).expect("yaml");
        assert!(
            text.contains("foo: true") && text.contains("endpoint_url: null"),
            "{text}"
        );
        let back: StorageOptions = serde_yaml_ng::from_str("region: r").expect("known");
        assert!(back.other.is_empty());
    }
}
