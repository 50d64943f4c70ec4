//! Wrappers that are themselves stores: each adds one behaviour to any backend.

pub mod endpoints;
pub mod faults;
pub mod metered;
pub mod prefix;
pub mod retry;
