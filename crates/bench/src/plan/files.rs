//! DLIO's dataset file layout, so that DLIO reads what mlstor generates and vice versa.
//!
//! Files are `<data_folder>/train/<prefix>_<i>_of_<n>.<format>` (and `valid/` for evaluation),
//! with `i` zero-padded to the digits of `n`. With more than one subfolder, file `i` goes to
//! subfolder `i mod subfolders`, zero-padded to the digits of the subfolder count. Rank `r` of
//! `size` handles the files `i` with `i mod size = r`.

use mlstor_formats::codec::Codec;

use crate::config::schema::{Compression, Dataset, Format};

/// Training or evaluation files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Valid,
}

impl Split {
    pub fn folder(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
        }
    }
}

/// The relative paths (under the data folder) of every file of `split`, in DLIO's order.
pub fn dataset_files(d: &Dataset, split: Split) -> Vec<String> {
    let (n, subfolders) = match split {
        Split::Train => (d.num_files_train, d.num_subfolders_train),
        Split::Valid => (d.num_files_eval, d.num_subfolders_eval),
    };
    let nd_files = n.to_string().len();
    let nd_sub = subfolders.to_string().len();
    let ext = d.format.extension();
    (0..n)
        .map(|i| {
            let name = format!("{}_{i:0nd_files$}_of_{n}.{ext}", d.file_prefix);
            if subfolders > 1 {
                format!("{}/{:0nd_sub$}/{name}", split.folder(), i % subfolders)
            } else {
                format!("{}/{name}", split.folder())
            }
        })
        .collect()
}

/// The codec DLIO (through pandas) applies to whole CSV files for `dataset.compression`.
pub fn file_codec(d: &Dataset) -> Option<Codec> {
    if d.format != Format::Csv {
        return None;
    }
    match d.compression {
        Compression::Gzip => Some(Codec::Gzip),
        Compression::Bz2 => Some(Codec::Bz2),
        Compression::Zip => Some(Codec::Zip),
        Compression::Xz => Some(Codec::Xz),
        _ => None,
    }
}

/// The name a file is stored under: DLIO appends the codec's suffix (`.gz`, ...) to
/// compressed CSV files.
pub fn stored_name(d: &Dataset, name: &str) -> String {
    match file_codec(d) {
        Some(c) => format!("{name}{}", c.suffix()),
        None => name.to_string(),
    }
}

/// The indices of the files among `count` that rank `rank` of `size` handles.
pub fn files_for_rank(count: usize, rank: usize, size: usize) -> impl Iterator<Item = usize> {
    (rank..count).step_by(size.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(files: u64, sub: u64, format: Format) -> Dataset {
        Dataset {
            num_files_train: files,
            num_subfolders_train: sub,
            num_files_eval: 3,
            format,
            ..Dataset::default()
        }
    }

    #[test]
    fn names_follow_dlio() {
        let f = dataset_files(&dataset(168, 0, Format::Npz), Split::Train);
        assert_eq!(f.len(), 168);
        assert_eq!(f[0], "train/img_000_of_168.npz");
        assert_eq!(f[7], "train/img_007_of_168.npz");
        let v = dataset_files(&dataset(168, 0, Format::Tfrecord), Split::Valid);
        assert_eq!(
            v,
            [
                "valid/img_0_of_3.tfrecord",
                "valid/img_1_of_3.tfrecord",
                "valid/img_2_of_3.tfrecord"
            ]
        );
    }

    #[test]
    fn subfolders_follow_dlio() {
        let f = dataset_files(&dataset(168, 4, Format::Npz), Split::Train);
        assert_eq!(f[7], "train/3/img_007_of_168.npz");
        let f = dataset_files(&dataset(20, 12, Format::MmapIndexedBinary), Split::Train);
        assert_eq!(f[13], "train/01/img_13_of_20.mmap_indexed_binary");
        let one = dataset_files(&dataset(2, 1, Format::Npy), Split::Train);
        assert_eq!(
            one[1], "train/img_1_of_2.npy",
            "a single subfolder is no subfolder"
        );
    }

    #[test]
    fn ranks_split_files_round_robin() {
        let r1: Vec<usize> = files_for_rank(10, 1, 4).collect();
        assert_eq!(r1, [1, 5, 9]);
        let all: usize = (0..4).map(|r| files_for_rank(10, r, 4).count()).sum();
        assert_eq!(all, 10);
    }
}
