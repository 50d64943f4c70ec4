//! The behaviour suite every backend must pass.
//!
//! Each check takes a store and works under a fresh random prefix, cleaning up after itself.
//! `tests/store_<backend>.rs` runs them all with [`conformance_tests!`](crate::conformance_tests).
//! Stores on real servers come from [`server_store`], which reads the variables printed by
//! `scripts/test-servers.sh env`; without them a test is skipped loudly, except under
//! `CI=true`, where a missing server is a failure.

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use crate::error::Error;
use crate::layers::faults::{FaultStore, Faults};
use crate::layers::retry::RetryStore;
use crate::options::RetryOptions;
use crate::store::{ListEntry, ListMode, Store, StoreExt, WriterOptions};
use crate::{StoreOptions, store_for_uri};

/// Part size used by the multipart checks (S3's minimum).
pub const PART: usize = 5 * 1024 * 1024;

/// Deterministic, position-dependent bytes (so misplaced ranges are caught).
pub fn pattern(len: usize, seed: u64) -> Bytes {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    Bytes::from(v)
}

/// A fresh prefix for one check.
pub fn unique(name: &str) -> String {
    format!("conformance/{name}-{:08x}/", fastrand::u32(..))
}

/// A store on the test server for `scheme` (`s3`, `az`, `gs`), configured only from the
/// environment, or `None` (skipped) when the servers are not running outside CI.
pub fn server_store(scheme: &str) -> Option<Arc<dyn Store>> {
    let var = match scheme {
        "s3" => "MLSTOR_TEST_BUCKET",
        "az" => "MLSTOR_TEST_CONTAINER",
        "gs" => "MLSTOR_TEST_GCS_BUCKET",
        other => panic!("no test server for scheme {other}"),
    };
    match std::env::var(var) {
        Ok(bucket) => {
            let uri = format!("{scheme}://{bucket}");
            Some(store_for_uri(&uri, &StoreOptions::default().with_env()).expect("store from env"))
        }
        Err(_) => {
            skip_or_fail(&format!("{var} is not set"));
            None
        }
    }
}

/// Outside CI a missing prerequisite skips loudly; in CI (`CI=true`) it fails the test.
pub fn skip_or_fail(why: &str) {
    let msg = format!(
        "SKIPPED: {why}; run `eval \"$(scripts/test-servers.sh env)\"` after `scripts/test-servers.sh start`"
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: a missing server is a failure)");
    }
    eprintln!("{msg}");
}

async fn assert_empty(store: &dyn Store, prefix: &str) {
    let left = store.list_all(prefix, ListMode::Recursive).await.expect("list");
    assert!(left.is_empty(), "nothing left under {prefix}: {left:?}");
}

async fn cleanup(store: &dyn Store, prefix: &str) {
    store.delete_prefix(prefix, 16).await.expect("cleanup");
}

pub async fn round_trip(store: Arc<dyn Store>) {
    let p = unique("round-trip");
    let data = pattern(1024 * 1024 + 3, 1);
    let put = store.put(&format!("{p}obj"), data.clone()).await.expect("put");
    assert_eq!(put.size, data.len() as u64);
    assert_eq!(store.get(&format!("{p}obj")).await.expect("get"), data);
    let meta = store.head(&format!("{p}obj")).await.expect("head");
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(meta.key, format!("{p}obj"));
    assert!(meta.last_modified.is_some(), "last-modified");
    // Overwrite replaces.
    store
        .put(&format!("{p}obj"), Bytes::from_static(b"short"))
        .await
        .expect("overwrite");
    assert_eq!(store.get(&format!("{p}obj")).await.expect("get"), "short");
    cleanup(store.as_ref(), &p).await;
}

pub async fn empty_and_one_byte(store: Arc<dyn Store>) {
    let p = unique("small");
    store
        .put(&format!("{p}empty"), Bytes::new())
        .await
        .expect("put empty");
    assert_eq!(store.get(&format!("{p}empty")).await.expect("get empty").len(), 0);
    assert_eq!(store.head(&format!("{p}empty")).await.expect("head").size, 0);
    let mut buf = [7u8; 8];
    assert_eq!(
        store
            .get_into(&format!("{p}empty"), 0, &mut buf)
            .await
            .expect("get_into empty"),
        0
    );
    store
        .put(&format!("{p}one"), Bytes::from_static(b"z"))
        .await
        .expect("put one");
    assert_eq!(store.get(&format!("{p}one")).await.expect("get one"), "z");
    assert_eq!(
        store.get_range(&format!("{p}one"), 0, 1).await.expect("range"),
        "z"
    );
    cleanup(store.as_ref(), &p).await;
}

pub async fn ranges(store: Arc<dyn Store>) {
    let p = unique("ranges");
    let key = format!("{p}obj");
    let data = pattern(100_000, 2);
    store.put(&key, data.clone()).await.expect("put");
    assert_eq!(
        store.get_range(&key, 0, 100).await.expect("start"),
        data.slice(0..100)
    );
    assert_eq!(
        store.get_range(&key, 50_000, 1234).await.expect("middle"),
        data.slice(50_000..51_234)
    );
    assert_eq!(
        store.get_range(&key, 99_900, 100).await.expect("end"),
        data.slice(99_900..)
    );
    assert_eq!(
        store.get_range(&key, 99_990, 100).await.expect("clipped"),
        data.slice(99_990..)
    );
    match store.get_range(&key, 100_001, 10).await {
        Err(Error::RangeOutOfBounds { uri, size, .. }) => {
            assert_eq!(size, 100_000);
            assert!(uri.ends_with(&key), "{uri}");
        }
        other => panic!("range past the end must be RangeOutOfBounds, got {other:?}"),
    }
    cleanup(store.as_ref(), &p).await;
}

pub async fn get_into(store: Arc<dyn Store>) {
    let p = unique("get-into");
    let key = format!("{p}obj");
    let data = pattern(300_000, 3);
    store.put(&key, data.clone()).await.expect("put");
    let mut buf = vec![0u8; 300_000];
    assert_eq!(store.get_into(&key, 0, &mut buf).await.expect("whole"), 300_000);
    assert_eq!(&buf[..], &data[..]);
    let mut buf = vec![0u8; 1000];
    assert_eq!(store.get_into(&key, 4097, &mut buf).await.expect("offset"), 1000);
    assert_eq!(&buf[..], &data[4097..5097]);
    let mut big = vec![0u8; 400_000];
    assert_eq!(
        store.get_into(&key, 250_000, &mut big).await.expect("short"),
        50_000
    );
    assert_eq!(&big[..50_000], &data[250_000..]);
    assert!(
        store.get_into(&key, 300_001, &mut buf).await.is_err(),
        "past the end"
    );
    // The rest of the object must fit: exactly, with room, or an error naming both sizes.
    let mut exact = vec![0u8; 300_000];
    assert_eq!(
        store.get_whole_into(&key, 0, &mut exact).await.expect("exact"),
        300_000
    );
    assert_eq!(&exact[..], &data[..]);
    assert_eq!(
        store.get_whole_into(&key, 250_000, &mut big).await.expect("room"),
        50_000
    );
    let mut small = vec![0u8; 299_999];
    match store.get_whole_into(&key, 0, &mut small).await {
        Err(Error::InvalidInput { uri, reason }) => {
            assert!(uri.ends_with(&key), "{uri}");
            assert!(
                reason.contains("300000 bytes") && reason.contains("holds 299999"),
                "{reason}"
            );
        }
        other => panic!("a buffer too small must be InvalidInput, got {other:?}"),
    }
    let mut tail = vec![0u8; 100];
    assert_eq!(
        store
            .get_whole_into(&key, 299_900, &mut tail)
            .await
            .expect("tail"),
        100
    );
    cleanup(store.as_ref(), &p).await;
}

pub async fn multipart(store: Arc<dyn Store>) {
    let p = unique("multipart");
    let key = format!("{p}big");
    let data = pattern(3 * PART + 12_345, 4);
    let mut w = store
        .writer(
            &key,
            WriterOptions {
                part_size: PART,
                concurrency: 2,
                ..WriterOptions::default()
            },
        )
        .await
        .expect("writer");
    // Odd-sized writes so part boundaries fall inside writes.
    for chunk in data.chunks(1024 * 1024 + 7) {
        w.write(Bytes::copy_from_slice(chunk)).await.expect("write");
    }
    assert!(
        store
            .head(&key)
            .await
            .expect_err("invisible before finish")
            .is_not_found()
    );
    let r = w.finish().await.expect("finish");
    assert_eq!(r.size, data.len() as u64);
    assert_eq!(store.get(&key).await.expect("get"), data);
    let across = store
        .get_range(&key, PART as u64 - 100, 200)
        .await
        .expect("across part boundary");
    assert_eq!(across, data.slice(PART - 100..PART + 100));
    cleanup(store.as_ref(), &p).await;
}

pub async fn writer_abort_and_drop(store: Arc<dyn Store>) {
    let p = unique("abort");
    let opts = WriterOptions {
        part_size: PART,
        concurrency: 2,
        ..WriterOptions::default()
    };
    let mut w = store.writer(&format!("{p}aborted"), opts).await.expect("writer");
    w.write(pattern(2 * PART + 1, 5)).await.expect("write");
    w.abort().await.expect("abort");
    let mut w = store.writer(&format!("{p}dropped"), opts).await.expect("writer");
    w.write(pattern(2 * PART + 1, 6)).await.expect("write");
    drop(w);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for k in ["aborted", "dropped"] {
        let e = store.head(&format!("{p}{k}")).await.expect_err("nothing visible");
        assert!(e.is_not_found(), "{k}: {e:?}");
    }
    assert_empty(store.as_ref(), &p).await;
}

pub async fn list_pagination(store: Arc<dyn Store>) {
    let p = unique("paged");
    let n = 1005;
    futures::stream::iter(0..n)
        .map(|i| {
            let store = store.clone();
            let key = format!("{p}k{i:05}");
            async move { store.put(&key, Bytes::from(format!("{i}"))).await }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await
        .expect("puts");
    let listed = store.list_all(&p, ListMode::Recursive).await.expect("list");
    assert_eq!(listed.len(), n, "every key listed once across pages");
    let mut keys: Vec<String> = listed
        .into_iter()
        .map(|e| match e {
            ListEntry::Object(m) => m.key,
            ListEntry::Prefix(x) => panic!("no prefixes in recursive mode: {x}"),
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n);
    assert_eq!(
        store.delete_prefix(&p, 32).await.expect("delete prefix"),
        n as u64
    );
    assert_empty(store.as_ref(), &p).await;
}

pub async fn list_delimiter_and_prefix(store: Arc<dyn Store>) {
    let p = unique("delim");
    for k in [
        "a/1", "a/4", "a/b/2", "a/c/3", "a/c/d/5", "ab", "obj-1", "obj-2", "other",
    ] {
        store
            .put(&format!("{p}{k}"), Bytes::from_static(b"x"))
            .await
            .expect("put");
    }
    let mut got = store
        .list_all(&format!("{p}a/"), ListMode::Delimited)
        .await
        .expect("delimited");
    got.sort_by_key(|e| match e {
        ListEntry::Object(m) => m.key.clone(),
        ListEntry::Prefix(x) => x.clone(),
    });
    let names: Vec<String> = got
        .iter()
        .map(|e| match e {
            ListEntry::Object(m) => format!("obj {}", m.key.trim_start_matches(&p)),
            ListEntry::Prefix(x) => format!("dir {}", x.trim_start_matches(&p)),
        })
        .collect();
    assert_eq!(names, ["obj a/1", "obj a/4", "dir a/b/", "dir a/c/"]);
    let rec = store
        .list_all(&format!("{p}obj-"), ListMode::Recursive)
        .await
        .expect("string prefix");
    assert_eq!(rec.len(), 2, "a recursive prefix is a string prefix: {rec:?}");
    let all = store
        .list_all(&format!("{p}a"), ListMode::Recursive)
        .await
        .expect("all under a");
    assert_eq!(all.len(), 6, "{all:?}");
    cleanup(store.as_ref(), &p).await;
}

pub async fn unicode_and_spaces(store: Arc<dyn Store>) {
    let p = unique("names");
    let key = format!("{p}dir with space/ünïcödé ✓ file.bin");
    store
        .put(&key, Bytes::from_static(b"unicode"))
        .await
        .expect("put");
    assert_eq!(store.get(&key).await.expect("get"), "unicode");
    let listed = store.list_all(&p, ListMode::Recursive).await.expect("list");
    assert_eq!(listed.len(), 1);
    match &listed[0] {
        ListEntry::Object(m) => assert_eq!(m.key, key, "keys are never rewritten"),
        other => panic!("{other:?}"),
    }
    cleanup(store.as_ref(), &p).await;
}

pub async fn delete_and_not_found(store: Arc<dyn Store>) {
    let p = unique("delete");
    let key = format!("{p}obj");
    store.put(&key, Bytes::from_static(b"x")).await.expect("put");
    store.delete(&key).await.expect("delete");
    let e = store.get(&key).await.expect_err("gone");
    assert!(e.is_not_found(), "{e:?}");
    assert!(e.to_string().contains(&key), "error names the key: {e}");
    store
        .delete(&key)
        .await
        .expect("deleting a missing object succeeds");
    assert!(
        store
            .head(&format!("{p}never"))
            .await
            .expect_err("missing")
            .is_not_found()
    );
    let mut buf = [0u8; 4];
    assert!(
        store
            .get_into(&format!("{p}never"), 0, &mut buf)
            .await
            .expect_err("missing")
            .is_not_found()
    );
}

/// Durable (`fsync`) and uncached (`drop_cache`) writes complete and read back (object
/// stores ignore both).
pub async fn fsync_write(store: Arc<dyn Store>) {
    let p = unique("fsync");
    // More pieces than file://'s write-back window.
    let data = pattern(5 * PART + 99, 8);
    for (name, fsync, drop_cache) in [
        ("durable", true, false),
        ("uncached", false, true),
        ("both", true, true),
    ] {
        let key = format!("{p}dir/{name}");
        let opts = WriterOptions {
            part_size: PART,
            fsync,
            drop_cache,
            ..WriterOptions::default()
        };
        let r = store
            .put_streaming(&key, data.clone(), opts)
            .await
            .expect("write");
        assert_eq!(r.size, data.len() as u64);
        assert_eq!(store.get(&key).await.expect("get"), data, "{name}");
    }
    cleanup(store.as_ref(), &p).await;
}

/// A writer that fails mid-upload (after a part was sent) leaves nothing visible.
pub async fn failed_write_leaves_nothing(store: Arc<dyn Store>) {
    let p = unique("failed-write");
    let faults = Faults {
        fail_writer_at: 3,
        ..Default::default()
    };
    let faulty = FaultStore::new(store.clone(), faults);
    let data = pattern(3 * PART, 7);
    let opts = WriterOptions {
        part_size: PART,
        concurrency: 2,
        ..WriterOptions::default()
    };
    let e = faulty
        .put_streaming(&format!("{p}obj"), data, opts)
        .await
        .expect_err("injected failure");
    assert!(e.to_string().contains(&format!("{p}obj")), "{e}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        store
            .head(&format!("{p}obj"))
            .await
            .expect_err("nothing visible")
            .is_not_found()
    );
    assert_empty(store.as_ref(), &p).await;
}

/// Transient failures are retried up to the configured attempts, then reported as such.
pub async fn transient_failures_are_retried(store: Arc<dyn Store>) {
    let p = unique("retry");
    let key = format!("{p}obj");
    store
        .put(&key, Bytes::from_static(b"retried"))
        .await
        .expect("put");
    let opts = RetryOptions {
        max_attempts: 3,
        initial_backoff: std::time::Duration::from_millis(1),
        max_backoff: std::time::Duration::from_millis(10),
    };
    let flaky = |n| {
        let faults = Faults {
            transient_reads: n,
            ..Default::default()
        };
        RetryStore::new(Arc::new(FaultStore::new(store.clone(), faults)), opts.clone())
    };
    assert_eq!(
        flaky(2).get(&key).await.expect("third attempt succeeds"),
        "retried"
    );
    match flaky(5).get(&key).await {
        Err(Error::Transient { attempts: 3, uri, .. }) => assert!(uri.ends_with(&key), "{uri}"),
        other => panic!("expected Transient after 3 attempts, got {other:?}"),
    }
    cleanup(store.as_ref(), &p).await;
}

/// Expands to one `#[tokio::test]` per conformance check; `$make` yields `Option<Arc<dyn Store>>`.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make; round_trip, empty_and_one_byte, ranges, get_into,
            multipart, writer_abort_and_drop, list_pagination, list_delimiter_and_prefix,
            unicode_and_spaces, delete_and_not_found, fsync_write, failed_write_leaves_nothing,
            transient_failures_are_retried);
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store: Option<std::sync::Arc<dyn $crate::Store>> = $make;
                if let Some(store) = store {
                    $crate::conformance::$name(store).await;
                }
            }
        )*
    };
}
