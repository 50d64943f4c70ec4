//! Where a workload's data and checkpoints live, and with which store options: the one
//! path every command's store options take ([`store_options`]): the workload's
//! `storage_options` (when there is a workload), then the command line's overrides, then
//! the environment for what is still unset.

use mlstor_store::{LoadBalance, Secret, StoreOptions, StoreOverrides};

use crate::config::schema::{LoadBalanceStrategy, StorageLibrary, StorageOptions, StorageType, Workload};

/// The dataset's root URI: `dataset.data_folder` when it is a URI; for object storage
/// `<scheme>://<storage_root>/<data_folder>` (a `storage_root` that is a URI brings its own
/// scheme); else the local path joined onto `storage_root` as DLIO does (an absolute
/// `data_folder` stands alone, relative ones resolve against `cwd`), as `file://`, or as
/// `direct://` (O_DIRECT) for `storage_type: direct_fs` or `storage_library: direct`.
pub fn data_uri(w: &Workload, cwd: &std::path::Path) -> String {
    folder_uri(w, &w.dataset.data_folder, cwd)
}

/// The checkpoints' root URI, by the same rules as [`data_uri`] applied to
/// `checkpoint.checkpoint_folder` (which may name other storage than the dataset's).
pub fn checkpoint_uri(w: &Workload, cwd: &std::path::Path) -> String {
    folder_uri(w, &w.checkpoint.checkpoint_folder, cwd)
}

fn folder_uri(w: &Workload, folder: &str, cwd: &std::path::Path) -> String {
    let folder = folder.trim_end_matches('/');
    if folder.contains("://") {
        return folder.to_string();
    }
    let root = w.storage.storage_root.as_str();
    let (root_scheme, root_rest) = match root.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, root),
    };
    let scheme = match w.storage.storage_type {
        StorageType::S3 => "s3",
        StorageType::Azure => "az",
        StorageType::Gcs => "gs",
        StorageType::Aistore => "ais",
        t @ (StorageType::LocalFs | StorageType::ParallelFs | StorageType::DirectFs) => {
            let direct = t == StorageType::DirectFs || w.storage.library() == Some(StorageLibrary::Direct);
            let base = cwd.join(root_rest.trim_start_matches("./"));
            let p = std::path::Path::new(folder.trim_start_matches("./"));
            let abs = if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            };
            let abs = abs.display().to_string();
            let abs = abs.trim_end_matches('/');
            return format!("{}://{abs}", if direct { "direct" } else { "file" });
        }
    };
    let scheme = root_scheme.unwrap_or(scheme);
    let root = root_rest.trim_matches('/');
    format!(
        "{scheme}://{root}/{}",
        folder.trim_start_matches("./").trim_start_matches('/')
    )
}

/// The dataset's store options (see [`store_options`]).
pub fn data_store_options(w: &Workload, o: &StoreOverrides, uri: &str) -> StoreOptions {
    store_options(Some(&w.storage.storage_options), o, uri)
}

/// The checkpoint storage's options: `checkpoint.storage_options` when given (checkpoints on
/// their own storage, with their own endpoint and credentials), else the dataset's; then
/// the command line's and the environment's (see [`store_options`]).
pub fn checkpoint_store_options(w: &Workload, o: &StoreOverrides, uri: &str) -> StoreOptions {
    let yaml = w
        .checkpoint
        .storage_options
        .as_ref()
        .unwrap_or(&w.storage.storage_options);
    store_options(Some(yaml), o, uri)
}

/// The options of a store rooted at `uri`, the same way for every command: a workload's
/// `storage_options` (`yaml`, when the command has a workload), the command line's
/// `overrides` over them, then the environment for whatever is still unset. Explicit values
/// always win over the environment.
pub fn store_options(yaml: Option<&StorageOptions>, overrides: &StoreOverrides, uri: &str) -> StoreOptions {
    let base = yaml.map(yaml_options).unwrap_or_default();
    base.apply(overrides, uri).with_env()
}

/// What a workload's `storage_options` says, nothing else.
fn yaml_options(o: &StorageOptions) -> StoreOptions {
    let mut s = StoreOptions {
        endpoint: o.endpoint(),
        access_key_id: o.access_key_id.clone(),
        secret_access_key: o.secret_access_key.as_ref().map(|k| Secret::new(k.expose())),
        region: o.region.clone(),
        endpoints: o.endpoint_uris.clone(),
        load_balance: match o.load_balance_strategy {
            LoadBalanceStrategy::RoundRobin => LoadBalance::RoundRobin,
            LoadBalanceStrategy::Random => LoadBalance::Random,
            LoadBalanceStrategy::LeastOutstanding => LoadBalance::LeastOutstanding,
        },
        pin_to_rank: o.use_mpi_endpoint_distribution == Some(true),
        ..StoreOptions::default()
    };
    if let Some(path_style) = o.s3_force_path_style {
        s.virtual_hosted_style = !path_style;
    }
    if let Some(n) = o.s3_max_attempts {
        s.retry.max_attempts = n.max(1);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_uris() {
        let mut w = Workload::default();
        w.dataset.data_folder = "data/unet3d/".into();
        assert_eq!(
            data_uri(&w, std::path::Path::new("/work")),
            "file:///work/data/unet3d"
        );
        w.storage.storage_type = StorageType::S3;
        w.storage.storage_root = "bucket".into();
        assert_eq!(
            data_uri(&w, std::path::Path::new("/work")),
            "s3://bucket/data/unet3d"
        );
        w.dataset.data_folder = "az://c/ds".into();
        assert_eq!(data_uri(&w, std::path::Path::new("/work")), "az://c/ds");
    }

    #[test]
    fn roots_that_are_uris_and_local_roots() {
        let cwd = std::path::Path::new("/work");
        let mut w = Workload::default();
        w.dataset.data_folder = "train".into();
        w.storage.storage_root = "/mnt/test".into();
        assert_eq!(
            data_uri(&w, cwd),
            "file:///mnt/test/train",
            "DLIO joins storage_root"
        );
        w.dataset.data_folder = "/abs/data".into();
        assert_eq!(
            data_uri(&w, cwd),
            "file:///abs/data",
            "an absolute folder stands alone"
        );
        w.storage.storage_root = "file:///tmp/root/".into();
        w.dataset.data_folder = "d".into();
        assert_eq!(data_uri(&w, cwd), "file:///tmp/root/d");
        w.storage.storage_type = StorageType::DirectFs;
        assert_eq!(data_uri(&w, cwd), "direct:///tmp/root/d");
        w.storage.storage_type = StorageType::LocalFs;
        w.storage.storage_library = Some(StorageLibrary::Direct);
        assert_eq!(
            data_uri(&w, cwd),
            "direct:///tmp/root/d",
            "DLIO's legacy `direct` library"
        );
        w.storage.storage_library = None;
        w.storage.storage_type = StorageType::S3;
        w.storage.storage_root = "s3://bucket/pre/".into();
        assert_eq!(data_uri(&w, cwd), "s3://bucket/pre/d");
        w.storage.storage_type = StorageType::Azure;
        w.storage.storage_root = "az://c/p".into();
        assert_eq!(data_uri(&w, cwd), "az://c/p/d");
    }

    #[test]
    fn dlio_storage_options_reach_the_store() {
        let o = StorageOptions {
            endpoint_url: Some("10.0.0.1:9000".into()),
            secure: Some(false),
            s3_max_attempts: Some(3),
            use_mpi_endpoint_distribution: Some(true),
            endpoint_uris: vec!["http://a:1".into(), "http://b:1".into()],
            ..StorageOptions::default()
        };
        let s = store_options(Some(&o), &StoreOverrides::default(), "s3://b/k");
        assert_eq!(s.endpoint.as_deref(), Some("http://10.0.0.1:9000"));
        assert_eq!(s.retry.max_attempts, 3);
        assert!(s.pin_to_rank);
    }

    #[test]
    fn checkpoint_uris_and_their_own_options() {
        let mut w = Workload::default();
        let cwd = std::path::Path::new("/work");
        assert_eq!(checkpoint_uri(&w, cwd), "file:///work/checkpoints");
        w.storage.storage_type = StorageType::S3;
        w.storage.storage_root = "bucket".into();
        w.storage.storage_options.endpoint_url = Some("http://data:1".into());
        w.checkpoint.checkpoint_folder = "ckpt/llama/".into();
        assert_eq!(checkpoint_uri(&w, cwd), "s3://bucket/ckpt/llama");
        let none = StoreOverrides::default();
        let ck = checkpoint_uri(&w, cwd);
        assert_eq!(
            checkpoint_store_options(&w, &none, &ck).endpoint.as_deref(),
            Some("http://data:1")
        );
        w.checkpoint.checkpoint_folder = "az://other/ckpt".into();
        w.checkpoint.storage_options = Some(StorageOptions {
            endpoint_url: Some("http://ckpt:2".into()),
            ..StorageOptions::default()
        });
        assert_eq!(checkpoint_uri(&w, cwd), "az://other/ckpt");
        assert_eq!(
            checkpoint_store_options(&w, &none, "az://other/ckpt")
                .endpoint
                .as_deref(),
            Some("http://ckpt:2")
        );
        let flags = StoreOverrides {
            endpoints: vec!["http://a:1".into(), "http://b:2".into()],
            max_attempts: Some(2),
            ..Default::default()
        };
        let data = data_store_options(&w, &flags, "s3://bucket/data");
        assert_eq!((data.endpoints.len(), data.retry.max_attempts), (2, 2));
        assert_eq!(
            data.endpoint.as_deref(),
            Some("http://data:1"),
            "the YAML's own stays"
        );
        assert_eq!(
            data_uri(&w, cwd),
            "s3://bucket/data",
            "the dataset keeps its own root"
        );
    }
}
