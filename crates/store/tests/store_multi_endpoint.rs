//! Multi-endpoint stores over real back ends: independent file:// roots and S3 buckets
//! (placement by key hash), and two S3 doors onto one SeaweedFS namespace.
use std::sync::Arc;

use bytes::Bytes;
use mlstor_store::conformance::{skip_or_fail, unique};
use mlstor_store::{EndpointCounter, ListMode, LoadBalance, Store, StoreExt, StoreOptions, store_for_uri};

async fn read_after_write(store: &Arc<dyn Store>, prefix: &str, n: usize) {
    for i in 0..n {
        store
            .put(&format!("{prefix}k{i}"), Bytes::from(format!("value {i}")))
            .await
            .expect("put");
    }
    for i in 0..n {
        let got = store
            .get(&format!("{prefix}k{i}"))
            .await
            .expect("read back through the same store");
        assert_eq!(got, Bytes::from(format!("value {i}")));
    }
    assert_eq!(
        store
            .list_all(prefix, ListMode::Recursive)
            .await
            .expect("list")
            .len(),
        n
    );
}

#[tokio::test]
async fn file_roots_place_by_key_and_read_back() {
    let (a, b) = (tempfile::tempdir().expect("a"), tempfile::tempdir().expect("b"));
    let (ua, ub) = (
        format!("file://{}", a.path().display()),
        format!("file://{}", b.path().display()),
    );
    let counts = Arc::new(EndpointCounter::default());
    let opts = StoreOptions {
        endpoints: vec![ub.clone()],
        sink: Some(counts.clone()),
        ..Default::default()
    };
    let store = store_for_uri(&ua, &opts).expect("store");
    read_after_write(&store, "data/", 40).await;
    let count = |d: &std::path::Path| std::fs::read_dir(d.join("data")).map(|r| r.count()).unwrap_or(0);
    let (na, nb) = (count(a.path()), count(b.path()));
    assert_eq!(na + nb, 40, "each object on exactly one root");
    assert!(na > 5 && nb > 5, "both roots used: {na} / {nb}");
    let (ra, rb) = (counts.of(&ua), counts.of(&ub));
    assert!(
        ra.requests > 5 && rb.requests > 5,
        "records name each root: {ra:?} / {rb:?}"
    );
    // A second store over the same roots finds everything: placement is stable.
    let again = store_for_uri(&ua, &opts).expect("store");
    assert_eq!(again.get("data/k7").await.expect("stable placement"), "value 7");
}

#[tokio::test]
async fn s3_buckets_as_independent_roots() {
    let (Ok(b1), Ok(b2)) = (
        std::env::var("MLSTOR_TEST_BUCKET"),
        std::env::var("MLSTOR_TEST_BUCKET2"),
    ) else {
        skip_or_fail("MLSTOR_TEST_BUCKET/MLSTOR_TEST_BUCKET2 are not set");
        return;
    };
    let prefix = unique("multi-bucket");
    let counts = Arc::new(EndpointCounter::default());
    let opts = StoreOptions {
        endpoints: vec![format!("s3://{b2}")],
        sink: Some(counts.clone()),
        ..Default::default()
    }
    .with_env();
    let store = store_for_uri(&format!("s3://{b1}"), &opts).expect("store");
    read_after_write(&store, &prefix, 30).await;
    let per_bucket = [
        counts.of(&format!("s3://{b1}")).bytes,
        counts.of(&format!("s3://{b2}")).bytes,
    ];
    assert!(
        per_bucket.iter().all(|&b| b > 0),
        "both buckets hold objects: {per_bucket:?}"
    );
    assert_eq!(store.delete_prefix(&prefix, 8).await.expect("cleanup"), 30);
}

fn doors() -> Option<Vec<String>> {
    match (
        std::env::var("AWS_ENDPOINT_URL"),
        std::env::var("MLSTOR_TEST_S3_ENDPOINT2"),
    ) {
        (Ok(a), Ok(b)) => Some(vec![a, b]),
        _ => {
            skip_or_fail("AWS_ENDPOINT_URL/MLSTOR_TEST_S3_ENDPOINT2 are not set");
            None
        }
    }
}

#[tokio::test]
async fn s3_two_doors_share_one_namespace() {
    let Some(doors) = doors() else { return };
    let bucket = std::env::var("MLSTOR_TEST_BUCKET").expect("bucket");
    for policy in [
        LoadBalance::RoundRobin,
        LoadBalance::Random,
        LoadBalance::LeastOutstanding,
    ] {
        let prefix = unique("doors");
        let counts = Arc::new(EndpointCounter::default());
        let opts = StoreOptions {
            endpoints: doors.clone(),
            load_balance: policy,
            sink: Some(counts.clone()),
            ..Default::default()
        }
        .with_env();
        let store = store_for_uri(&format!("s3://{bucket}"), &opts).expect("store");
        read_after_write(&store, &prefix, 20).await;
        let reqs: Vec<u64> = doors.iter().map(|d| counts.of(d).requests).collect();
        assert!(
            reqs.iter().all(|&r| r > 0),
            "{policy:?}: both doors used: {reqs:?}"
        );
        // Each door alone sees everything written through both.
        for door in &doors {
            let one = StoreOptions {
                endpoint: Some(door.clone()),
                ..Default::default()
            }
            .with_env();
            let s = store_for_uri(&format!("s3://{bucket}"), &one).expect("store");
            assert_eq!(
                s.list_all(&prefix, ListMode::Recursive)
                    .await
                    .expect("list")
                    .len(),
                20
            );
        }
        store.delete_prefix(&prefix, 8).await.expect("cleanup");
    }
}

#[tokio::test]
async fn s3_rank_pinning_uses_rank_mod_n() {
    let Some(doors) = doors() else { return };
    let bucket = std::env::var("MLSTOR_TEST_BUCKET").expect("bucket");
    // The rank comes from the MPI launcher's variables (here injected, as mpirun would set them).
    let counts = Arc::new(EndpointCounter::default());
    let opts = StoreOptions {
        endpoints: doors.clone(),
        pin_to_rank: true,
        sink: Some(counts.clone()),
        ..Default::default()
    }
    .with_env_from(|k| match k {
        "OMPI_COMM_WORLD_RANK" => Some("3".into()),
        other => std::env::var(other).ok(),
    });
    let store = store_for_uri(&format!("s3://{bucket}"), &opts).expect("store");
    let prefix = unique("pinned");
    read_after_write(&store, &prefix, 6).await;
    let reqs: Vec<u64> = doors.iter().map(|d| counts.of(d).requests).collect();
    assert_eq!(reqs[0], 0, "rank 3 of 2 doors uses door 1 only: {reqs:?}");
    assert!(reqs[1] >= 12);
    store.delete_prefix(&prefix, 8).await.expect("cleanup");
}
