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
