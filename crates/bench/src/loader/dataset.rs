//! The files of one split as the loader sees them: their keys and sizes, checked against
//! the workload before any epoch starts (DLIO lists its data folder the same way), and,
//! for formats read by byte range, each file's sample index, loaded on first use.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use futures::TryStreamExt;
use mlstor_formats::{indexed_binary, tfrecord};
use mlstor_store::{ListEntry, ListMode, Store, StoreExt};

use super::LoaderError;
use crate::config::schema::{Format, Workload};
use crate::plan::files::{Split, dataset_files, stored_name};

/// How a format's samples are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The whole file is read and decoded (npz, npy, hdf5, csv, images), as DLIO's readers
    /// open it.
    WholeFile,
    /// Each sample is a byte range found through an index (TFRecord's DALI index,
    /// indexed binary's offset and size files).
    Ranged,
}

impl Access {
    pub fn of(format: Format) -> Access {
        match format {
            Format::Tfrecord | Format::IndexedBinary | Format::MmapIndexedBinary => Access::Ranged,
            _ => Access::WholeFile,
        }
    }
}

/// `(offset, length)` of each sample of a file.
pub type SampleRanges = Arc<Vec<(u64, u64)>>;

/// One split's files.
#[derive(Debug)]
pub struct SplitFiles {
    pub split: Split,
    /// Keys under the data folder, in DLIO's (name) order.
    pub keys: Vec<String>,
    pub sizes: Vec<u64>,
    /// The generator's index of the first file (evaluation files follow the training ones).
    pub first_index: u64,
    pub format: Format,
    /// Per file: `(offset, length)` of every sample, for [`Access::Ranged`] formats.
    ranges: Vec<OnceLock<SampleRanges>>,
}

impl SplitFiles {
    /// Lists the split's folder and checks that every file the workload names is there.
    pub async fn open(store: &dyn Store, w: &Workload, split: Split) -> Result<SplitFiles, LoaderError> {
        let keys: Vec<String> = dataset_files(&w.dataset, split)
            .iter()
            .map(|k| stored_name(&w.dataset, k))
            .collect();
        let mut listed: HashMap<String, u64> = HashMap::with_capacity(keys.len());
        if !keys.is_empty() {
            let mut list = store.list(&format!("{}/", split.folder()), ListMode::Recursive);
            while let Some(e) = list.try_next().await? {
                if let ListEntry::Object(m) = e {
                    listed.insert(m.key, m.size);
                }
            }
        }
        let sizes: Vec<Option<u64>> = keys.iter().map(|k| listed.get(k).copied()).collect();
        if let Some(i) = sizes.iter().position(Option::is_none) {
            return Err(LoaderError::MissingFiles {
                uri: format!("{}/{}", store.root().trim_end_matches('/'), split.folder()),
                split: split.folder(),
                found: sizes.iter().filter(|s| s.is_some()).count(),
                expected: keys.len(),
                missing: keys[i].clone(),
            });
        }
        let first_index = match split {
            Split::Train => 0,
            Split::Valid => w.dataset.num_files_train,
        };
        Ok(SplitFiles {
            split,
            ranges: (0..keys.len()).map(|_| OnceLock::new()).collect(),
            sizes: sizes.into_iter().map(|s| s.unwrap_or(0)).collect(),
            keys,
            first_index,
            format: w.dataset.format,
        })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Total bytes of the split.
    pub fn bytes(&self) -> u64 {
        self.sizes.iter().sum()
    }

    /// Where the samples of file `f` lie (ranged formats), reading its index on first use.
    pub async fn ranges(&self, store: &dyn Store, f: usize) -> Result<SampleRanges, LoaderError> {
        if let Some(r) = self.ranges[f].get() {
            return Ok(r.clone());
        }
        let key = &self.keys[f];
        let bad = |uri: String, reason: String| LoaderError::Index { uri, reason };
        let ranges = match self.format {
            Format::Tfrecord => {
                let name = key.rsplit('/').next().unwrap_or(key);
                let idx_key = format!("index/{}/{name}.idx", self.split.folder());
                let uri = format!("{}/{idx_key}", store.root().trim_end_matches('/'));
                let text = store.get(&idx_key).await.map_err(|e| match e {
                    mlstor_store::Error::NotFound { .. } => bad(
                        uri.clone(),
                        "missing: TFRecord files are read by record through their DALI index \
                         (mlstor generate and DLIO both write it)"
                            .into(),
                    ),
                    other => LoaderError::Store(other),
                })?;
                let text =
                    std::str::from_utf8(&text).map_err(|_| bad(uri.clone(), "not UTF-8 text".into()))?;
                tfrecord::parse_index(text).map_err(|e| bad(uri, e.to_string()))?
            }
            _ => {
                let off = store.get(&format!("{key}.off.idx")).await?;
                let sz = store.get(&format!("{key}.sz.idx")).await?;
                let n = (off.len() / 8) as u64;
                (0..n)
                    .map(|i| indexed_binary::locate(&off, &sz, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        bad(
                            format!("{}/{key}.off.idx", store.root().trim_end_matches('/')),
                            e.to_string(),
                        )
                    })?
            }
        };
        let size = self.sizes[f];
        if let Some(&(o, l)) = ranges.iter().find(|(o, l)| o.saturating_add(*l) > size) {
            return Err(bad(
                format!("{}/{key}", store.root().trim_end_matches('/')),
                format!(
                    "its index places a sample at {o}..{} past the file's {size} bytes",
                    o + l
                ),
            ));
        }
        Ok(self.ranges[f].get_or_init(|| Arc::new(ranges)).clone())
    }
}
