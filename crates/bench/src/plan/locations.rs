//! Where a workload's data and checkpoints live, and with which store options: the one
//! path every command's store options take ([`store_options`]): the workload's
//! `storage_options` (when there is a workload), then the command line's overrides, then
//! the environment for what is still unset.

use mlstor_store::{LoadBalance, Secret, StoreOptions, StoreOverrides};

use crate::config::schema::{LoadBalanceStrategy, StorageOptions, StorageType, Workload};

/// The dataset's root URI: `dataset.data_folder` when it is a URI; for object storage
/// `<scheme>://<storage_root>/<data_folder>`; else the local path as `file://` (relative
/// paths resolved against `cwd`).
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
    let scheme = match w.storage.storage_type {
        StorageType::S3 => "s3",
        StorageType::Azure => "az",
        StorageType::Gcs => "gs",
        StorageType::LocalFs | StorageType::ParallelFs => {
            let p = std::path::Path::new(folder.trim_start_matches("./"));
            let abs = if p.is_absolute() {
                p.to_path_buf()
            } else {
                cwd.join(p)
            };
            return format!("file://{}", abs.display());
        }
    };
    let root = w.storage.storage_root.trim_matches('/');
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
        endpoint: o.endpoint_url.clone(),
        access_key_id: o.access_key_id.clone(),
        secret_access_key: o.secret_access_key.as_ref().map(|k| Secret::new(k.expose())),
        region: o.region.clone(),
        endpoints: o.endpoint_uris.clone(),
        load_balance: match o.load_balance_strategy {
            LoadBalanceStrategy::RoundRobin => LoadBalance::RoundRobin,
            LoadBalanceStrategy::Random => LoadBalance::Random,
            LoadBalanceStrategy::LeastOutstanding => LoadBalance::LeastOutstanding,
        },
        ..StoreOptions::default()
    };
    if let Some(path_style) = o.s3_force_path_style {
        s.virtual_hosted_style = !path_style;
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
