//! One file per scheme, all the same shape. Cross-cutting behaviour (retries, multiple
//! endpoints, key prefixes) lives in `crate::layers`, not here.

pub mod azure;
pub mod cloud;
pub mod direct;
pub mod file;
pub mod gcs;
mod local;
pub mod memory;
pub mod s3;

use object_store::{ClientOptions, RetryConfig};

use crate::options::StoreOptions;

/// HTTP settings shared by the `object_store` clients: no cap on a whole request (large
/// objects take long), an idle-read timeout instead, a connect timeout, a big idle pool.
pub(crate) fn client_options(opts: &StoreOptions, allow_http: bool) -> ClientOptions {
    ClientOptions::new()
        .with_allow_http(allow_http)
        .with_timeout_disabled()
        .with_connect_timeout(opts.connect_timeout)
        .with_read_timeout(opts.idle_timeout)
        .with_pool_max_idle_per_host(64)
}

/// The clients' own retries are off: mlstor's retry layer owns retrying, so attempts and
/// backoff are configured in one place and reported in errors.
pub(crate) fn no_client_retries() -> RetryConfig {
    RetryConfig {
        max_retries: 0,
        ..Default::default()
    }
}
