//! The conformance suite on `s3://` against the local SeaweedFS (scripts/test-servers.sh).
mlstor_store::conformance_tests!(mlstor_store::conformance::server_store("s3"));
