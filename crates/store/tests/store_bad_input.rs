//! Bad input gets one clear error naming the culprit, and secrets never show.
use std::sync::Arc;

use bytes::Bytes;
use mlstor_store::conformance::{skip_or_fail, unique};
use mlstor_store::{Error, Secret, Store, StoreExt, StoreOptions, store_for_uri};

fn all_text(e: &Error) -> String {
    let mut s = format!("{e} | {e:?}");
    let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(c) = cur {
        s.push_str(&format!(" | {c} | {c:?}"));
        cur = c.source();
    }
    s
}

#[test]
fn unknown_scheme_and_malformed_uris() {
    for uri in [
        "ftp://host/x",
        "s3:/bucket/key",
        "s3://",
        "file://relative/path",
        "az://bad$name/x",
    ] {
        match store_for_uri(uri, &StoreOptions::default()) {
            Err(e @ Error::InvalidUri { .. }) => assert!(e.to_string().contains(uri), "{e}"),
            other => panic!("{uri}: expected InvalidUri, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn path_escape_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store_for_uri(
        &format!("file://{}", dir.path().display()),
        &StoreOptions::default(),
    )
    .expect("store");
    for key in ["../outside", "a/../../outside", "./x"] {
        let e = store.put(key, Bytes::from_static(b"x")).await.expect_err(key);
        assert!(matches!(e, Error::InvalidInput { .. }), "{key}: {e:?}");
        assert!(e.to_string().contains("escape"), "{e}");
        assert!(store.get(key).await.is_err());
    }
    assert!(!dir.path().parent().expect("parent").join("outside").exists());
}

/// ramfs refuses O_DIRECT (tmpfs accepts it since Linux 6.6), so mount one to check the
/// error. Needs root; skipped loudly otherwise.
#[tokio::test]
async fn o_direct_refused_gives_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "ramfs", "ramfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        skip_or_fail("cannot mount a ramfs here (needs root) to test O_DIRECT refusal");
        return;
    }
    let store = store_for_uri(
        &format!("direct://{}", dir.path().display()),
        &StoreOptions::default(),
    )
    .expect("store");
    let e = store
        .put("x", Bytes::from_static(b"data"))
        .await
        .expect_err("O_DIRECT refused");
    let _ = std::process::Command::new("umount").arg(dir.path()).status();
    assert!(matches!(e, Error::NotSupported { .. }), "{e:?}");
    assert!(
        e.to_string().contains("O_DIRECT") && e.to_string().contains("file://"),
        "{e}"
    );
}

fn s3_opts() -> Option<(StoreOptions, String)> {
    match std::env::var("MLSTOR_TEST_BUCKET") {
        Ok(b) => Some((StoreOptions::default().with_env(), b)),
        Err(_) => {
            skip_or_fail("MLSTOR_TEST_BUCKET is not set");
            None
        }
    }
}

#[tokio::test]
async fn s3_wrong_secret_is_permission_denied_without_the_secret() {
    let Some((mut opts, bucket)) = s3_opts() else {
        return;
    };
    let secret = "definitely-wrong-secret-4711";
    opts.secret_access_key = Some(Secret::new(secret));
    let endpoint = opts
        .endpoint
        .clone()
        .expect("AWS_ENDPOINT_URL set by test-servers.sh");
    let store = store_for_uri(&format!("s3://{bucket}"), &opts).expect("store");
    let key = format!("{}x", unique("secret"));
    let errs = [
        store.put(&key, Bytes::from_static(b"x")).await.expect_err("put"),
        store.get(&key).await.expect_err("get"),
        store
            .list_all("", mlstor_store::ListMode::Recursive)
            .await
            .expect_err("list"),
    ];
    for e in errs {
        assert!(matches!(e, Error::PermissionDenied { .. }), "{e:?}");
        let text = all_text(&e);
        assert!(text.contains(&endpoint), "names the endpoint: {text}");
        assert!(!text.contains(secret), "secret leaked: {text}");
    }
    assert!(!format!("{store:?}").contains(secret));
}

#[tokio::test]
async fn s3_missing_bucket_is_not_found() {
    let Some((opts, _)) = s3_opts() else { return };
    let store = store_for_uri("s3://mlstor-no-such-bucket-4711", &opts).expect("store");
    let e = store.get("k").await.expect_err("missing bucket");
    assert!(e.is_not_found(), "{e:?}");
    assert!(e.to_string().contains("s3://mlstor-no-such-bucket-4711/k"), "{e}");
    let e = store
        .list_all("", mlstor_store::ListMode::Recursive)
        .await
        .expect_err("list missing bucket");
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test]
async fn azure_wrong_key_is_permission_denied_without_the_key() {
    let Ok(container) = std::env::var("MLSTOR_TEST_CONTAINER") else {
        skip_or_fail("MLSTOR_TEST_CONTAINER is not set");
        return;
    };
    let wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=";
    let opts = StoreOptions {
        azure_key: Some(Secret::new(wrong)),
        azure_account: Some("devstoreaccount1".into()),
        azure_endpoint: Some("http://127.0.0.1:10000/devstoreaccount1".into()),
        ..Default::default()
    };
    let store: Arc<dyn Store> = store_for_uri(&format!("az://{container}"), &opts).expect("store");
    let e = store
        .put("x", Bytes::from_static(b"x"))
        .await
        .expect_err("wrong key");
    assert!(matches!(e, Error::PermissionDenied { .. }), "{e:?}");
    let text = all_text(&e);
    assert!(
        text.contains("127.0.0.1:10000") && !text.contains(wrong),
        "{text}"
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_transient_after_retries() {
    let opts = StoreOptions {
        endpoint: Some("http://127.0.0.1:9".into()), // discard port: nothing listens
        access_key_id: Some("ak".into()),
        secret_access_key: Some(Secret::new("sk")),
        retry: mlstor_store::RetryOptions {
            max_attempts: 3,
            initial_backoff: std::time::Duration::from_millis(1),
            max_backoff: std::time::Duration::from_millis(5),
        },
        ..Default::default()
    };
    let store = store_for_uri("s3://b", &opts).expect("store");
    let e = store.get("k").await.expect_err("nothing listens");
    assert!(matches!(e, Error::Transient { attempts: 3, .. }), "{e:?}");
    assert!(
        e.to_string().contains("s3://b/k") && e.to_string().contains("3 attempt"),
        "{e}"
    );
}
