//! The conformance suite on `direct://` (O_DIRECT), in the build directory (a disk file system).
use mlstor_store::{Store, StoreOptions, store_for_uri};
use std::sync::Arc;

fn store() -> Option<Arc<dyn Store>> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir")
        .keep();
    Some(store_for_uri(&format!("direct://{}", dir.display()), &StoreOptions::default()).expect("store"))
}

mlstor_store::conformance_tests!(store());

/// Page-aligned pieces go straight from the caller's memory, others through the staging
/// block, several writes in flight: every mix reads back byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_aligned_and_unaligned_pieces_in_flight() {
    use mlstor_store::{StoreExt, WriterOptions, buffer};
    let store = store().expect("store");
    let aligned = |len: usize, seed: u8| {
        let mut p = buffer::pooled(len).expect("buffer");
        for (i, b) in p.as_mut_slice()[..len].iter_mut().enumerate() {
            *b = seed.wrapping_add((i % 251) as u8);
        }
        p.set_len(len);
        p.into_bytes()
    };
    let pieces = [
        aligned(3 << 20, 1),                 // zero copy
        aligned(8192, 2),                    // zero copy
        bytes::Bytes::from(vec![7u8; 1000]), // staged
        aligned(4096, 3),                    // staged (the stage is not empty)
        aligned(1 << 20, 4).slice(1..),      // unaligned start: staged
        aligned(2 << 20, 5),                 // staged until the block is full
        aligned((1 << 20) + 123, 6),         // tail staged and padded
    ];
    for concurrency in [1, 3] {
        let key = format!("mixed-{concurrency}");
        let opts = WriterOptions {
            part_size: 1 << 20,
            concurrency,
            fsync: concurrency == 3,
            drop_cache: concurrency == 3,
        };
        let mut w = store.writer(&key, opts).await.expect("writer");
        let mut want = Vec::new();
        for p in &pieces {
            want.extend_from_slice(p);
            w.write(p.clone()).await.expect("write");
        }
        let r = w.finish().await.expect("finish");
        assert_eq!(r.size, want.len() as u64);
        let got = store.get(&key).await.expect("get");
        assert!(got == want[..], "content differs with concurrency {concurrency}");
    }
}
