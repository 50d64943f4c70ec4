//! Checkpoint save + restore through every backend, against the real servers of
//! scripts/test-servers.sh: a tiny llama checkpoint of two ranks round-trips with
//! verification (also across ranks, as `recovery_rank_shift` reads), damage is caught, and a
//! save that fails, is cancelled or is dropped leaves nothing visible and, on S3, no
//! multipart upload open.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use mlstor_bench::config::{Workload, load};
use mlstor_bench::execute::checkpoint::{CheckpointError, CheckpointOptions, Checkpointer, Control};
use mlstor_bench::plan::Plan;
use mlstor_bench::records::Recorder;
use mlstor_store::conformance::skip_or_fail;
use mlstor_store::layers::faults::{FaultStore, Faults};
use mlstor_store::{Store, StoreExt, StoreOptions, store_for_uri};
use tokio_util::sync::CancellationToken;

/// A checkpoint root on one backend: the store, and where it lives.
struct Backend {
    store: Arc<dyn Store>,
    uri: String,
    scheme: &'static str,
    /// The key prefix in the bucket (object stores) or the directory (local).
    location: String,
}

fn unique() -> String {
    format!("ckpt-test-{}-{:08x}", std::process::id(), fastrand::u32(..))
}

/// A fresh, empty checkpoint root on `scheme`, or `None` when its server is not running.
fn backend(scheme: &'static str) -> Option<Backend> {
    let (uri, location) = match scheme {
        "file" | "direct" => {
            let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
                .expect("tempdir")
                .keep();
            (format!("{scheme}://{}", dir.display()), dir.display().to_string())
        }
        "memory" => {
            let p = unique();
            (format!("memory://{p}"), p)
        }
        _ => {
            let var = match scheme {
                "s3" => "MLSTOR_TEST_BUCKET",
                "az" => "MLSTOR_TEST_CONTAINER",
                _ => "MLSTOR_TEST_GCS_BUCKET",
            };
            let Ok(bucket) = std::env::var(var) else {
                skip_or_fail(&format!("{var} is not set"));
                return None;
            };
            let p = unique();
            (format!("{scheme}://{bucket}/{p}"), p)
        }
    };
    let store = store_for_uri(&uri, &StoreOptions::default().with_env()).expect("store");
    Some(Backend {
        store,
        uri,
        scheme,
        location,
    })
}

fn tiny(overrides: &[&str]) -> Workload {
    let o: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load("llama3_tiny", &o, &|_| None).expect("llama3_tiny")
}

/// Rank `rank` of `ranks` checkpointing `w` into `store`, as the plan lays it out.
fn checkpointer(
    store: Arc<dyn Store>,
    w: &Workload,
    rank: usize,
    ranks: usize,
    o: CheckpointOptions,
) -> Checkpointer {
    let plan = Plan::build(w, ranks, o.dlio_compat).expect("plan");
    Checkpointer::new(store, &plan, rank, o).expect("checkpointer")
}

/// 5 MiB parts (S3's minimum): the optimizer shards (~15 MB per rank) go up in several.
fn opts(verify: bool) -> CheckpointOptions {
    CheckpointOptions {
        part_size: 5 << 20,
        file_concurrency: 2,
        part_concurrency: 2,
        read_concurrency: 3,
        verify,
        dlio_compat: false,
    }
}

async fn keys(store: &dyn Store) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = store
        .list_objects("")
        .await
        .expect("list")
        .into_iter()
        .map(|m| (m.key, m.size))
        .collect();
    v.sort();
    v
}

/// Files (not folders) under a local backend's root; none for the others.
fn files_on_disk(b: &Backend) -> Vec<std::path::PathBuf> {
    if !matches!(b.scheme, "file" | "direct") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(&b.location)];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// Nothing under the root: no object, no temporary file, no open multipart upload.
async fn assert_nothing_left(b: &Backend) {
    assert_eq!(keys(b.store.as_ref()).await, [], "{}: nothing visible", b.scheme);
    if matches!(b.scheme, "file" | "direct") {
        let mut stack = vec![std::path::PathBuf::from(&b.location)];
        let mut bounded = 0;
        while let Some(dir) = stack.pop() {
            bounded += 1;
            assert!(bounded < 10_000);
            for e in std::fs::read_dir(&dir).expect("read_dir") {
                let e = e.expect("entry");
                assert!(
                    e.path().is_dir(),
                    "{}: file left on disk: {}",
                    b.scheme,
                    e.path().display()
                );
                stack.push(e.path());
            }
        }
    }
    if b.scheme == "s3" {
        let uploads = s3_open_uploads(&b.location);
        assert!(uploads.is_empty(), "open multipart uploads: {uploads:?}");
    }
}

/// Keys of the multipart uploads open under `prefix` (S3 ListMultipartUploads, signed by curl).
fn s3_open_uploads(prefix: &str) -> Vec<String> {
    let env = |k: &str| std::env::var(k).unwrap_or_default();
    let url = format!(
        "{}/{}?prefix={prefix}&uploads=",
        env("AWS_ENDPOINT_URL").trim_end_matches('/'),
        env("MLSTOR_TEST_BUCKET")
    );
    let out = std::process::Command::new("curl")
        .args(["-s", "-m", "10", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user"])
        .arg(format!(
            "{}:{}",
            env("AWS_ACCESS_KEY_ID"),
            env("AWS_SECRET_ACCESS_KEY")
        ))
        .arg(&url)
        .output()
        .expect("curl runs");
    let xml = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        xml.contains("ListMultipartUploadsResult"),
        "unexpected reply: {xml}"
    );
    xml.split("<Key>")
        .skip(1)
        .filter_map(|s| s.split("</Key>").next())
        .map(str::to_string)
        .collect()
}

async fn round_trip(b: Backend) {
    let w = tiny(&[]);
    // Each rank reports its requests to its own recorder, as each rank process does.
    let recorders: Vec<Arc<Recorder>> = (0..2).map(|_| Arc::new(Recorder::new())).collect();
    let ranks: Vec<Checkpointer> = (0..2)
        .map(|r| {
            let o = StoreOptions {
                sink: Some(recorders[r].clone()),
                ..StoreOptions::default().with_env()
            };
            let store = store_for_uri(&b.uri, &o).expect("store");
            checkpointer(store, &w, r, 2, opts(true))
        })
        .collect();
    assert!(
        ranks[0].plan().total_bytes > 30_000_000,
        "a tiny but multipart-sized checkpoint"
    );
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    let ctl = Control::default().on_bytes(move |n| {
        counter.fetch_add(n, Ordering::Relaxed);
    });
    let ctl: Vec<Control> = recorders
        .iter()
        .map(|r| ctl.clone().with_recorder(r.clone()))
        .collect();
    for step in [1, 2] {
        let (a, c) = tokio::join!(ranks[0].save(1, step, &ctl[0]), ranks[1].save(1, step, &ctl[1]));
        for (r, rep) in [a, c].into_iter().enumerate() {
            let rep = rep.unwrap_or_else(|e| panic!("{}: save rank {r}: {e:#}", b.scheme));
            assert_eq!(rep.bytes, ranks[r].bytes());
            assert_eq!(rep.files.len(), 2);
            assert_eq!(
                rep.fsync,
                matches!(b.scheme, "file" | "direct"),
                "llama3_tiny says fsync: True"
            );
            // The part writes of this save only (its records), not the other rank's.
            let pieces: u64 = rep.files.iter().map(|f| f.bytes.div_ceil(5 << 20)).sum();
            assert_eq!(rep.latency.count, pieces, "{:?}", rep.latency);
            assert!(rep.latency.p50_ms > 0.0, "{:?}", rep.latency);
            assert!(rep.gb_per_second > 0.0 && rep.seconds > 0.0);
        }
    }
    assert_eq!(written.load(Ordering::Relaxed), 2 * ranks[0].plan().total_bytes);
    let listed = keys(b.store.as_ref()).await;
    let want: Vec<(String, u64)> = {
        let mut v = Vec::new();
        for step in [1, 2] {
            for r in &ranks {
                for f in r.files() {
                    v.push((format!("global_epoch1_step{step}/{}", f.name), f.bytes));
                }
            }
        }
        v.sort();
        v
    };
    assert_eq!(listed, want, "{}: DLIO's layout", b.scheme);
    for step in [1, 2] {
        for (r, c) in ranks.iter().zip(&ctl) {
            let rep = r.restore(1, step, c).await.expect("restore");
            assert!(rep.verified && rep.bytes == r.bytes(), "{rep:?}");
            let reads: u64 = rep.files.iter().map(|f| f.bytes.div_ceil(5 << 20)).sum();
            assert_eq!(
                rep.latency.count, reads,
                "one ranged read per part: {:?}",
                rep.latency
            );
        }
    }
    // Rank 0 reading rank 1's files (recovery_rank_shift) verifies them too.
    let shifted = ranks[0].clone().restoring_rank(1).expect("rank 1");
    let rep = shifted
        .restore(1, 2, &Control::default())
        .await
        .expect("shifted restore");
    assert_eq!((rep.rank, rep.files_of_rank, rep.bytes), (0, 1, ranks[1].bytes()));
    // Damage: same size, other bytes (a different checkpoint's content) -> Corrupt.
    let victim = format!("global_epoch1_step2/{}", ranks[0].files()[0].name);
    let other = b
        .store
        .get(&format!("global_epoch1_step1/{}", ranks[0].files()[0].name))
        .await
        .expect("get");
    b.store.put(&victim, other.clone()).await.expect("put");
    let e = ranks[0]
        .restore(1, 2, &Control::default())
        .await
        .expect_err("corrupt");
    assert!(matches!(e, CheckpointError::Corrupt { .. }), "{e:?}");
    assert!(e.to_string().contains(&victim), "names the file: {e}");
    // Truncated -> SizeMismatch naming the file and both sizes.
    b.store.put(&victim, other.slice(..1000)).await.expect("put");
    let e = ranks[0]
        .restore(1, 2, &Control::default())
        .await
        .expect_err("short");
    assert!(
        matches!(e, CheckpointError::SizeMismatch { found: 1000, .. }),
        "{e:?}"
    );
    // A checkpoint that was never written: not found, naming the key.
    let e = ranks[0]
        .restore(1, 9, &Control::default())
        .await
        .expect_err("missing");
    assert!(e.to_string().contains("global_epoch1_step9"), "{e}");
    b.store.delete_prefix("", 8).await.expect("cleanup");
}

async fn failed_save_leaves_nothing(b: Backend) {
    let w = tiny(&[]);
    // Every writer fails on its 3rd piece: the model shard (1 piece) completes first and must
    // be removed again; the optimizer shard fails after two parts went up.
    let faulty: Arc<dyn Store> = Arc::new(FaultStore::new(
        b.store.clone(),
        Faults {
            fail_writer_at: 3,
            ..Default::default()
        },
    ));
    let ckpt = checkpointer(faulty, &w, 0, 1, opts(false));
    let e = ckpt
        .save(1, 1, &Control::default())
        .await
        .expect_err("injected failure");
    assert!(
        !e.is_cancelled(),
        "the real error, not the siblings' cancellation: {e:?}"
    );
    assert!(e.to_string().contains("optim_states"), "names the file: {e}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_nothing_left(&b).await;
}

async fn cancelled_save_leaves_nothing(b: Backend) {
    let w = tiny(&[]);
    let ckpt = checkpointer(b.store.clone(), &w, 0, 1, opts(false));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let seen = Arc::new(AtomicU64::new(0));
    let ctl = Control::default().with_cancel(cancel).on_bytes(move |n| {
        if seen.fetch_add(n, Ordering::Relaxed) + n > 12 << 20 {
            trigger.cancel(); // as Ctrl-C does, mid-checkpoint
        }
    });
    let e = ckpt.save(1, 1, &ctl).await.expect_err("cancelled");
    assert!(e.is_cancelled(), "{e:?}");
    assert_nothing_left(&b).await;
}

async fn dropped_save_leaves_nothing(b: Backend) {
    let w = tiny(&[]);
    let ckpt = checkpointer(b.store.clone(), &w, 0, 1, opts(false));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = std::sync::Mutex::new(Some(tx));
    // The save waits (in its byte callback) until the test has dropped its future, so the drop
    // lands mid-checkpoint however fast the machine writes the rest (a fast CI machine once
    // finished both files before the test's task ran).
    let (dropped_tx, dropped_rx) = std::sync::mpsc::channel::<()>();
    let dropped_rx = std::sync::Mutex::new(dropped_rx);
    let seen = Arc::new(AtomicU64::new(0));
    let ctl = Control::default().on_bytes(move |n| {
        if seen.fetch_add(n, Ordering::Relaxed) + n > 12 << 20
            && let Some(tx) = tx.lock().expect("lock").take()
        {
            let _ = tx.send(());
            let _ = dropped_rx
                .lock()
                .expect("lock")
                .recv_timeout(Duration::from_secs(30));
        }
    });
    tokio::select! {
        r = ckpt.save(1, 1, &ctl) => panic!("the save should have been dropped first: {r:?}"),
        _ = rx => {} // the save future is dropped here, mid-checkpoint
    }
    let _ = dropped_tx.send(());
    // The save task notices at its next piece and cleans up: wait for it (bounded: on a
    // loaded machine the task may hold a writer, and its temporary file, for a while).
    for _ in 0..200 {
        let uploads = if b.scheme == "s3" {
            s3_open_uploads(&b.location)
        } else {
            Vec::new()
        };
        if keys(b.store.as_ref()).await.is_empty() && files_on_disk(&b).is_empty() && uploads.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_nothing_left(&b).await;
}

async fn separate_payload(b: Backend) {
    // Two checkpointers on the same root with different seeds: each verifies only its own.
    let a = checkpointer(b.store.clone(), &tiny(&[]), 0, 1, opts(true));
    a.save(1, 1, &Control::default()).await.expect("save");
    let other = checkpointer(b.store.clone(), &tiny(&["train.seed=7"]), 0, 1, opts(true));
    let e = other
        .restore(1, 1, &Control::default())
        .await
        .expect_err("other seed");
    assert!(matches!(e, CheckpointError::Corrupt { .. }), "{e:?}");
    b.store.delete_prefix("", 8).await.expect("cleanup");
}

macro_rules! checkpoint_tests {
    ($($scheme:ident),*) => {$(
        mod $scheme {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn round_trip() {
                if let Some(b) = super::backend(stringify!($scheme)) { super::round_trip(b).await }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn failed_save_leaves_nothing() {
                if let Some(b) = super::backend(stringify!($scheme)) { super::failed_save_leaves_nothing(b).await }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn cancelled_save_leaves_nothing() {
                if let Some(b) = super::backend(stringify!($scheme)) { super::cancelled_save_leaves_nothing(b).await }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn dropped_save_leaves_nothing() {
                if let Some(b) = super::backend(stringify!($scheme)) { super::dropped_save_leaves_nothing(b).await }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn content_depends_on_the_seed() {
                if let Some(b) = super::backend(stringify!($scheme)) { super::separate_payload(b).await }
            }
        }
    )*};
}

// `gs` is the fake-gcs-server; `memory` needs no server.
checkpoint_tests!(file, direct, memory, s3, az, gs);

/// As DLIO, `dlio_compat` writes the same bytes at every checkpoint (made once, before the
/// first save); by default every checkpoint's content is its own. Both verify on restore.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoint_content_per_checkpoint_or_fixed_under_dlio_compat() {
    for dlio_compat in [false, true] {
        let b = backend("memory").expect("memory");
        let o = CheckpointOptions {
            dlio_compat,
            ..opts(true)
        };
        let ckpt = checkpointer(b.store.clone(), &tiny(&[]), 0, 1, o);
        ckpt.prepare().await.expect("prepare");
        for step in [1, 2] {
            ckpt.save(1, step, &Control::default()).await.expect("save");
            ckpt.restore(1, step, &Control::default())
                .await
                .expect("verified restore");
        }
        let name = &ckpt.files()[1].name;
        let one = b
            .store
            .get(&format!("global_epoch1_step1/{name}"))
            .await
            .expect("get");
        let two = b
            .store
            .get(&format!("global_epoch1_step2/{name}"))
            .await
            .expect("get");
        assert_eq!(one == two, dlio_compat, "dlio_compat {dlio_compat}");
        assert_eq!(one.len() as u64, ckpt.files()[1].bytes);
    }
}
