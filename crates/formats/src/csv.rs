//! CSV as DLIO writes it with pandas (`DataFrame.to_csv`): a header `,0,1,…,k-1`, then one
//! row per sample, `index,v0,v1,…` with the sample's `k` byte values. (DLIO repeats one
//! record in every row; mlstor writes each sample's own bytes.)

use crate::{Error, Result};

/// A CSV file of `samples`, each `k` bytes long.
pub fn encode<'a>(samples: impl IntoIterator<Item = &'a [u8]>, k: usize) -> Vec<u8> {
    let mut out = String::new();
    for c in 0..k {
        out.push(',');
        out.push_str(&c.to_string());
    }
    out.push('\n');
    for (i, s) in samples.into_iter().enumerate() {
        out.push_str(&i.to_string());
        for v in s {
            out.push(',');
            out.push_str(&v.to_string());
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// Sample `index` (data row `index`) as bytes.
pub fn sample(file: &[u8], index: u64) -> Result<Vec<u8>> {
    let bad = |reason: String| Error::Corrupt {
        format: "csv",
        reason,
    };
    let text = std::str::from_utf8(file).map_err(|_| bad("not UTF-8 text".into()))?;
    let mut rows = text.lines().skip(1);
    let have = text.lines().count().saturating_sub(1) as u64;
    let row = rows.nth(index as usize).ok_or(Error::NoSuchSample {
        format: "csv",
        index,
        have,
    })?;
    row.split(',')
        .skip(1)
        .map(|v| {
            v.trim()
                .parse::<u8>()
                .map_err(|_| bad(format!("row {index}: {v:?} is not a byte value")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let rows: [&[u8]; 2] = [&[1, 2, 3], &[250, 0, 7]];
        let f = encode(rows, 3);
        assert!(f.starts_with(b",0,1,2\n0,1,2,3\n1,250,0,7\n"));
        assert_eq!(sample(&f, 1).expect("row"), [250, 0, 7]);
        assert!(matches!(sample(&f, 2), Err(Error::NoSuchSample { have: 2, .. })));
        assert!(sample(b",0\n0,300\n", 0).is_err());
        assert!(sample(&[0xff, 0xfe], 0).is_err());
    }
}
