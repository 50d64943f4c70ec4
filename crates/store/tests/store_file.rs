//! The conformance suite on `file://`.
use mlstor_store::{Store, StoreOptions, store_for_uri};
use std::sync::Arc;

fn store() -> Option<Arc<dyn Store>> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir")
        .keep();
    Some(store_for_uri(&format!("file://{}", dir.display()), &StoreOptions::default()).expect("store"))
}

mlstor_store::conformance_tests!(store());

/// The share of `path`'s pages in the page cache (mincore over a read-only mapping).
fn resident_share(path: &std::path::Path) -> f64 {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path).expect("open");
    let len = f.metadata().expect("metadata").len() as usize;
    let page = 4096;
    let pages = len.div_ceil(page);
    let mut vec = vec![0u8; pages];
    // SAFETY: a fresh read-only shared mapping of a file we hold open, unmapped below;
    // mincore writes one byte per page into `vec`, which has exactly that many.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            f.as_raw_fd(),
            0,
        );
        assert_ne!(p, libc::MAP_FAILED, "mmap");
        assert_eq!(libc::mincore(p, len, vec.as_mut_ptr()), 0, "mincore");
        libc::munmap(p, len);
    }
    vec.iter().filter(|b| **b & 1 == 1).count() as f64 / pages as f64
}

/// `drop_cache` leaves (almost) nothing of the written file in the page cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_drop_cache_leaves_the_page_cache() {
    use mlstor_store::{StoreExt, WriterOptions};
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let store = store_for_uri(
        &format!("file://{}", dir.path().display()),
        &StoreOptions::default(),
    )
    .expect("store");
    let data = mlstor_store::conformance::pattern(24 << 20, 9);
    for (key, drop_cache) in [("kept", false), ("dropped", true)] {
        let opts = WriterOptions {
            part_size: 1 << 20,
            fsync: true,
            drop_cache,
            ..WriterOptions::default()
        };
        store.put_streaming(key, data.clone(), opts).await.expect("write");
    }
    let dropped = resident_share(&dir.path().join("dropped"));
    assert!(
        dropped <= 0.1,
        "{:.0}% of a drop_cache file stayed cached",
        dropped * 100.0
    );
    let kept = resident_share(&dir.path().join("kept"));
    eprintln!(
        "resident: kept {:.0}%, dropped {:.0}%",
        kept * 100.0,
        dropped * 100.0
    );
    assert_eq!(store.get("dropped").await.expect("get"), data);
}

/// Any name Linux takes (up to 255 bytes) can be written, read and listed, in one put or
/// streamed: the temporary name beside it never runs past the limit (issue #19 item 8).
#[tokio::test]
async fn names_up_to_255_bytes_are_written() {
    use mlstor_store::{ListEntry, ListMode, StoreExt, WriterOptions};
    let store = store().expect("store");
    let ascii = "a".repeat(255);
    let multibyte = format!("{}b", "é".repeat(126)); // 253 bytes of 2-byte characters
    for name in [&ascii, &multibyte] {
        let data = bytes::Bytes::from_static(b"hello");
        store.put(&format!("p/{name}"), data.clone()).await.expect("put");
        store
            .put_streaming(&format!("s/{name}"), data, WriterOptions::default())
            .await
            .expect("streamed put");
        for dir in ["p", "s"] {
            assert_eq!(
                &store.get(&format!("{dir}/{name}")).await.expect("get")[..],
                b"hello"
            );
        }
    }
    let listed = store.list_all("p/", ListMode::Recursive).await.expect("list");
    let keys: Vec<String> = listed
        .into_iter()
        .filter_map(|e| match e {
            ListEntry::Object(m) => Some(m.key),
            ListEntry::Prefix(_) => None,
        })
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
}
