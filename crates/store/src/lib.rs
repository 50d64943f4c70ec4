//! One `Store` trait over `s3://`, `az://`, `gs://`, `file://`, `direct://` and `memory://`.
//!
//! - [`Store`] (in [`store`]): get (as `bytes::Bytes`, whole or ranged), `get_into` a caller's
//!   buffer, put, a streaming/multipart [`ObjectWriter`], head, paginated list (recursive or
//!   delimited), delete; conveniences in [`StoreExt`].
//! - [`store_for_uri`] builds a store rooted at a URI from [`StoreOptions`] (explicit options
//!   win over environment variables), with retries and multiple endpoints as layers.
//! - [`Error`]: typed errors naming the URI and keeping the cause chain; no secrets.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use mlstor_store::{store_for_uri, StoreExt, StoreOptions};
//! let store = store_for_uri("memory://docs/example", &StoreOptions::default())?;
//! store.put("hello.txt", "hi".into()).await?;
//! assert_eq!(store.get("hello.txt").await?, "hi");
//! # Ok::<(), mlstor_store::Error>(()) }).unwrap();
//! ```

pub mod backends;
pub mod buffer;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
pub mod fork;
pub mod layers;
mod list;
pub mod options;
pub mod path;
pub mod record;
pub mod redact;
pub mod store;
pub mod uri;

use std::sync::{Arc, Once};

pub use error::{Error, Result};
pub use layers::endpoints::{MultiEndpointStore, Topology};
pub use options::{LoadBalance, RetryOptions, Secret, StoreOptions, StoreOverrides};
pub use record::{EndpointCount, EndpointCounter, Op, OpRecord, RecordSink};
pub use store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, StoreExt, WriterOptions,
};
pub use uri::{Scheme, StoreUri};

use backends::{azure, direct::DirectStore, file::FileStore, gcs, memory::MemoryStore, s3};
use layers::{metered::MeteredStore, prefix::PrefixStore, retry::RetryStore};

/// Builds a store rooted at `uri` (`s3://bucket/prefix`, `file:///dir`, ...). Keys passed to
/// it are relative to that root.
///
/// With `opts.endpoints` set: http(s) URLs are doors to the URI's one namespace (requests
/// spread by `opts.load_balance`, or pinned by rank with `opts.pin_to_rank`); storage URIs
/// are further independent roots beside `uri` (objects placed by key hash).
pub fn store_for_uri(uri: &str, opts: &StoreOptions) -> Result<Arc<dyn Store>> {
    install_crypto_provider();
    let parsed = StoreUri::parse(uri)?;
    if opts.endpoints.is_empty() {
        return single(&parsed, None, opts);
    }
    let urls = opts
        .endpoints
        .iter()
        .filter(|e| e.starts_with("http://") || e.starts_with("https://"))
        .count();
    let rank = opts.pin_to_rank.then(|| opts.rank.unwrap_or(0));
    if urls == opts.endpoints.len() {
        if parsed.scheme.is_local() || parsed.scheme == Scheme::Memory {
            return Err(Error::InvalidInput {
                uri: uri.to_string(),
                reason: "http(s) endpoints apply to s3://, az:// and gs:// only; give other roots as URIs"
                    .into(),
            });
        }
        let members = opts
            .endpoints
            .iter()
            .map(|ep| single(&parsed, Some(ep), opts))
            .collect::<Result<Vec<_>>>()?;
        let multi = MultiEndpointStore::new(
            uri.to_string(),
            members,
            Topology::SharedNamespace,
            opts.load_balance,
            rank,
        )?;
        return Ok(Arc::new(multi));
    }
    if urls > 0 {
        return Err(Error::InvalidInput {
            uri: uri.to_string(),
            reason: "endpoints must be all http(s) URLs (doors to one namespace) or all storage URIs (independent roots)".into(),
        });
    }
    let mut roots = vec![uri.to_string()];
    for e in &opts.endpoints {
        if !roots.contains(e) {
            roots.push(e.clone());
        }
    }
    let members = roots
        .iter()
        .map(|r| single(&StoreUri::parse(r)?, None, opts))
        .collect::<Result<Vec<_>>>()?;
    let multi = MultiEndpointStore::new(
        uri.to_string(),
        members,
        Topology::IndependentRoots,
        opts.load_balance,
        rank,
    )?;
    Ok(Arc::new(multi))
}

/// Splits an object URI into a store on its bucket/container (or `/` for local paths) and
/// the object's key: what single-object commands (`cat`, `stat`, `cp`) need.
pub fn store_and_key(uri: &str, opts: &StoreOptions) -> Result<(Arc<dyn Store>, String)> {
    let (root, key) = split_uri(uri)?;
    Ok((store_for_uri(&root, opts)?, key))
}

/// Splits an object URI into the root [`store_and_key`] builds its store on (`s3://bucket`,
/// `file:///`) and the key under it, without building anything: for callers that cache
/// stores by root.
pub fn split_uri(uri: &str) -> Result<(String, String)> {
    let parsed = StoreUri::parse(uri)?;
    Ok(if parsed.scheme.is_local() {
        (
            format!("{}:///", parsed.scheme.as_str()),
            parsed.path.trim_start_matches('/').to_string(),
        )
    } else {
        (parsed.root(), parsed.path)
    })
}

/// One backend for `uri` (optionally through endpoint `ep`): metered when `opts.sink` is
/// set (each record names `ep`, else the root), retried (object stores), under its prefix.
fn single(uri: &StoreUri, ep: Option<&str>, opts: &StoreOptions) -> Result<Arc<dyn Store>> {
    let backend: Arc<dyn Store> = match uri.scheme {
        Scheme::File => Arc::new(FileStore::new(&uri.path)),
        Scheme::Direct => Arc::new(DirectStore::new(&uri.path)),
        Scheme::Memory => Arc::new(MemoryStore::shared(&uri.container)),
        Scheme::S3 => Arc::new(s3::build(&uri.container, ep, opts)?),
        Scheme::Azure => Arc::new(azure::build(&uri.container, ep, opts)?),
        Scheme::Gcs => Arc::new(gcs::build(&uri.container, ep, opts)?),
    };
    let metered: Arc<dyn Store> = match &opts.sink {
        Some(sink) => {
            let name = ep.map_or_else(|| backend.root().to_string(), str::to_string);
            Arc::new(MeteredStore::new(backend, &name, sink.clone()))
        }
        None => backend,
    };
    let base: Arc<dyn Store> = match uri.scheme {
        // Local files are rooted at their path; they and memory fail for good or not at
        // all: no retries.
        Scheme::File | Scheme::Direct => return Ok(metered),
        Scheme::Memory => metered,
        _ => Arc::new(RetryStore::new(metered, opts.retry.clone())),
    };
    if uri.path.trim_matches('/').is_empty() {
        Ok(base)
    } else {
        Ok(Arc::new(PrefixStore::new(base, &uri.path)?))
    }
}

/// The HTTP clients use rustls with the `ring` provider (no C crypto build); install it once.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
