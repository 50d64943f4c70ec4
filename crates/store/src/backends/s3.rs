//! `s3://bucket/key` on AWS S3 or any S3-compatible server, through `object_store`.
//!
//! Path-style requests by default (what S3-compatible servers expect), unsigned payloads
//! (SigV4 without hashing every byte: the cheapest client CPU per GB), no whole-request
//! timeout (large objects would hit it), an idle-read timeout instead, and retries done by
//! mlstor's retry layer rather than inside the client.

use object_store::aws::AmazonS3Builder;

use super::client_options;
use super::cloud::CloudStore;
use crate::error::{Error, Result};
use crate::options::StoreOptions;

/// S3 refuses parts smaller than this (except the last).
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// Builds a store on `bucket`; `endpoint` overrides `opts.endpoint` (multi-endpoint doors).
pub fn build(bucket: &str, endpoint: Option<&str>, opts: &StoreOptions) -> Result<CloudStore> {
    let root = format!("s3://{bucket}");
    let region = opts.region.clone().unwrap_or_else(|| "us-east-1".to_string());
    let endpoint = endpoint.map(str::to_string).or_else(|| opts.endpoint.clone());
    let mut b = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region(&region)
        .with_virtual_hosted_style_request(opts.virtual_hosted_style)
        .with_unsigned_payload(opts.unsigned_payload)
        .with_retry(super::no_client_retries());
    let shown_endpoint = match &endpoint {
        Some(ep) => {
            check_endpoint(&root, ep)?;
            b = b.with_endpoint(ep);
            ep.clone()
        }
        None => format!("https://s3.{region}.amazonaws.com"),
    };
    let allow_http = opts.allow_http.unwrap_or(shown_endpoint.starts_with("http://"));
    b = b.with_client_options(client_options(opts, allow_http));
    match (&opts.access_key_id, &opts.secret_access_key) {
        _ if opts.anonymous => b = b.with_skip_signature(true),
        (Some(ak), Some(sk)) => {
            b = b.with_access_key_id(ak).with_secret_access_key(sk.expose());
            if let Some(t) = &opts.session_token {
                b = b.with_token(t.expose());
            }
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::InvalidInput {
                uri: root,
                reason: "S3 credentials need both an access key id and a secret access key \
                         (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
                    .into(),
            });
        }
        // A custom endpoint without credentials: anonymous requests, never a cloud metadata lookup.
        (None, None) if endpoint.is_some() => b = b.with_skip_signature(true),
        (None, None) => {}
    }
    // Never format the builder: its Debug output contains the secret.
    let client = b.build().map_err(|e| Error::InvalidInput {
        uri: root.clone(),
        reason: format!("cannot configure the S3 client: {e}"),
    })?;
    Ok(CloudStore::new(root, shown_endpoint, client, opts, MIN_PART_SIZE))
}

/// An endpoint must be an http(s) URL.
pub(crate) fn check_endpoint(root: &str, ep: &str) -> Result<()> {
    match url::Url::parse(ep) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(Error::InvalidInput {
            uri: root.to_string(),
            reason: format!("endpoint {ep:?} is not an http(s) URL"),
        }),
    }
}
