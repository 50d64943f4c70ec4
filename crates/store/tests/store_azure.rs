//! The conformance suite on `az://` against the local Azurite (scripts/test-servers.sh).
mlstor_store::conformance_tests!(mlstor_store::conformance::server_store("az"));
