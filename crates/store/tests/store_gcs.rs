//! The conformance suite on `gs://` against the local fake-gcs-server (scripts/test-servers.sh).
mlstor_store::conformance_tests!(mlstor_store::conformance::server_store("gs"));
