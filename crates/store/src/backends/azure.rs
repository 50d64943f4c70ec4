//! `az://container/key` on Azure Blob Storage or Azurite, through `object_store`.
//!
//! Account, key and blob endpoint come from explicit options, then from
//! `AZURE_STORAGE_CONNECTION_STRING` (`AccountName`, `AccountKey`, `BlobEndpoint`,
//! `UseDevelopmentStorage=true`), then from `AZURE_STORAGE_ACCOUNT` / `AZURE_STORAGE_KEY`.

use std::collections::HashMap;

use object_store::azure::MicrosoftAzureBuilder;

use super::client_options;
use super::cloud::CloudStore;
use crate::error::{Error, Result};
use crate::options::StoreOptions;

/// Azurite's well-known development account (public, documented by Microsoft).
const DEV_ACCOUNT: &str = "devstoreaccount1";
const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const DEV_ENDPOINT: &str = "http://127.0.0.1:10000/devstoreaccount1";

/// Builds a store on `container`; `endpoint` overrides the blob endpoint (multi-endpoint doors).
pub fn build(container: &str, endpoint: Option<&str>, opts: &StoreOptions) -> Result<CloudStore> {
    let root = format!("az://{container}");
    let conn = opts
        .azure_connection_string
        .as_ref()
        .map(|c| parse_connection_string(c.expose()))
        .unwrap_or_default();
    let dev = conn
        .get("UseDevelopmentStorage")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let account = opts
        .azure_account
        .clone()
        .or_else(|| conn.get("AccountName").cloned())
        .or_else(|| dev.then(|| DEV_ACCOUNT.to_string()))
        .ok_or_else(|| missing(&root, "an account name (AZURE_STORAGE_ACCOUNT)"))?;
    let key = opts
        .azure_key
        .as_ref()
        .map(|k| k.expose().to_string())
        .or_else(|| conn.get("AccountKey").cloned())
        .or_else(|| dev.then(|| DEV_KEY.to_string()))
        .ok_or_else(|| {
            missing(
                &root,
                "an account key (AZURE_STORAGE_KEY or AZURE_STORAGE_CONNECTION_STRING)",
            )
        })?;
    let endpoint = endpoint
        .map(str::to_string)
        .or_else(|| opts.azure_endpoint.clone())
        .or_else(|| conn.get("BlobEndpoint").cloned())
        .or_else(|| dev.then(|| DEV_ENDPOINT.to_string()))
        .unwrap_or_else(|| format!("https://{account}.blob.core.windows.net"));
    super::s3::check_endpoint(&root, &endpoint)?;
    let allow_http = opts.allow_http.unwrap_or(endpoint.starts_with("http://"));
    let client = MicrosoftAzureBuilder::new()
        .with_account(&account)
        .with_access_key(key)
        .with_container_name(container)
        .with_endpoint(endpoint.trim_end_matches('/').to_string())
        .with_retry(super::no_client_retries())
        .with_client_options(client_options(opts, allow_http))
        .build()
        .map_err(|e| Error::InvalidInput {
            uri: root.clone(),
            reason: format!("cannot configure the Azure client: {e}"),
        })?;
    // Azure has no minimum block size.
    Ok(CloudStore::new(root, endpoint, client, opts, 1))
}

fn missing(root: &str, what: &str) -> Error {
    Error::InvalidInput {
        uri: root.to_string(),
        reason: format!("Azure credentials incomplete: missing {what}"),
    }
}

/// `Key=Value;Key=Value` (values may contain '=').
fn parse_connection_string(s: &str) -> HashMap<String, String> {
    s.split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_string_keeps_base64_padding() {
        let m = parse_connection_string("AccountName=a;AccountKey=abc==;BlobEndpoint=http://h:1/a;");
        assert_eq!(m.get("AccountKey").map(String::as_str), Some("abc=="));
        assert_eq!(m.get("BlobEndpoint").map(String::as_str), Some("http://h:1/a"));
    }

    #[test]
    fn missing_key_is_a_clear_error() {
        let opts = StoreOptions {
            azure_account: Some("acct".into()),
            ..Default::default()
        };
        let e = build("c", None, &opts).expect_err("no key");
        assert!(e.to_string().contains("az://c"), "{e}");
        assert!(
            format!("{e:#}").contains("account key") || format!("{e}").contains("account key"),
            "{e}"
        );
    }
}
