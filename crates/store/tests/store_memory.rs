//! The conformance suite on `memory://`.
use mlstor_store::{Store, StoreOptions, store_for_uri};
use std::sync::Arc;

fn store() -> Option<Arc<dyn Store>> {
    Some(store_for_uri("memory://conformance", &StoreOptions::default()).expect("store"))
}

mlstor_store::conformance_tests!(store());
