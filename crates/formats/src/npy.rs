//! NumPy's `.npy` format (version 1.0), for the `uint8` arrays DLIO writes with `np.save`:
//! shape `(dim1, dim2, num_samples)`, C order, so sample `i` is `array[..., i]`.

use crate::{Error, Result};

const MAGIC: &[u8] = b"\x93NUMPY";

/// The parsed header of an `.npy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// numpy dtype string, e.g. `|u1` or `<i8`.
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<u64>,
    /// Where the array data starts in the file.
    pub data_offset: usize,
}

impl Header {
    /// Number of elements.
    pub fn len(&self) -> u64 {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The header `np.save` writes for an array of `descr` and `shape` (padded with spaces so the
/// data starts at a multiple of 64 bytes).
pub fn header(descr: &str, shape: &[u64]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let unpadded = MAGIC.len() + 2 + 2 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + dict.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// A complete `.npy` file of `uint8` data with `shape`.
pub fn encode_u8(shape: &[u64], data: &[u8]) -> Vec<u8> {
    let mut out = header("|u1", shape);
    out.extend_from_slice(data);
    out
}

/// Parses the header at the start of `bytes` (versions 1.0, 2.0 and 3.0).
pub fn parse_header(bytes: &[u8]) -> Result<Header> {
    let bad = |reason: &str| Error::Corrupt {
        format: "npy",
        reason: reason.to_string(),
    };
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(bad("missing the \\x93NUMPY magic"));
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(bad(&format!("unknown version {v}"))),
    };
    let dict = bytes
        .get(start..start + len)
        .ok_or_else(|| bad("header runs past the end of the file"))?;
    let dict = std::str::from_utf8(dict).map_err(|_| bad("header is not text"))?;
    let field = |name: &str| -> Result<&str> {
        let key = format!("'{name}':");
        let at = dict
            .find(&key)
            .ok_or_else(|| bad(&format!("header has no '{name}'")))?;
        Ok(dict[at + key.len()..].trim_start())
    };
    let descr = field("descr")?
        .strip_prefix('\'')
        .and_then(|s| s.split_once('\''))
        .map(|(d, _)| d.to_string())
        .ok_or_else(|| bad("malformed 'descr'"))?;
    let fortran_order = field("fortran_order")?.starts_with("True");
    let shape_text = field("shape")?;
    let inner = shape_text
        .strip_prefix('(')
        .and_then(|s| s.split_once(')'))
        .map(|(s, _)| s)
        .ok_or_else(|| bad("malformed 'shape'"))?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<u64>()
                .map_err(|_| bad("non-numeric dimension in 'shape'"))
        })
        .collect::<Result<Vec<u64>>>()?;
    Ok(Header {
        descr,
        fortran_order,
        shape,
        data_offset: start + len,
    })
}

/// A DLIO `uint8` array checked for sample `index`: its header, its data, and the sample
/// count (the last axis).
fn locate(bytes: &[u8], index: u64) -> Result<(Header, &[u8], u64)> {
    let h = parse_header(bytes)?;
    if h.descr != "|u1" && h.descr != "<u1" {
        return Err(Error::Unsupported {
            format: "npy",
            reason: format!("dtype {} (DLIO writes uint8)", h.descr),
        });
    }
    if h.fortran_order {
        return Err(Error::Unsupported {
            format: "npy",
            reason: "Fortran order".into(),
        });
    }
    let samples = *h.shape.last().unwrap_or(&1);
    if index >= samples {
        return Err(Error::NoSuchSample {
            format: "npy",
            index,
            have: samples,
        });
    }
    let data = &bytes[h.data_offset..];
    if (data.len() as u64) < h.len() {
        return Err(Error::Corrupt {
            format: "npy",
            reason: format!("{} data bytes for {} elements (truncated)", data.len(), h.len()),
        });
    }
    Ok((h, data, samples))
}

/// Sample `index` of a DLIO `uint8` array (`array[..., index]`, the last axis), copied out of
/// the strided C-order data.
pub fn sample_u8(bytes: &[u8], index: u64) -> Result<Vec<u8>> {
    let (h, data, samples) = locate(bytes, index)?;
    let per_sample = h.len() / samples.max(1);
    Ok((0..per_sample)
        .map(|j| data[(j * samples + index) as usize])
        .collect())
}

/// The size of sample `index` after checking the array, without copying it.
pub fn sample_len(bytes: &[u8], index: u64) -> Result<u64> {
    let (h, _, samples) = locate(bytes, index)?;
    Ok(h.len() / samples.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_what_numpy_writes() {
        let h = header("|u1", &[3, 4, 2]);
        assert_eq!(h.len() % 64, 0);
        let text = String::from_utf8_lossy(&h[10..]).to_string();
        assert!(
            text.starts_with("{'descr': '|u1', 'fortran_order': False, 'shape': (3, 4, 2), }"),
            "{text}"
        );
        assert!(text.ends_with('\n'));
        let one = String::from_utf8_lossy(&header("<i8", &[5])[10..]).to_string();
        assert!(one.contains("'shape': (5,)"), "{one}");
    }

    #[test]
    fn round_trip_and_strided_samples() {
        // shape (2, 3, 2): element [a][b][s] = a*100 + b*10 + s
        let mut data = Vec::new();
        for a in 0..2u8 {
            for b in 0..3u8 {
                for s in 0..2u8 {
                    data.push(a * 100 + b * 10 + s);
                }
            }
        }
        let file = encode_u8(&[2, 3, 2], &data);
        let h = parse_header(&file).expect("header");
        assert_eq!((h.shape.clone(), h.descr.as_str()), (vec![2, 3, 2], "|u1"));
        assert_eq!(sample_u8(&file, 1).expect("sample"), [1, 11, 21, 101, 111, 121]);
        assert_eq!(sample_len(&file, 1).expect("len"), 6);
        assert!(matches!(
            sample_u8(&file, 2),
            Err(Error::NoSuchSample { have: 2, .. })
        ));
    }

    #[test]
    fn corrupt_and_truncated_files_are_errors() {
        assert!(parse_header(b"garbage!!!!!").is_err());
        assert!(parse_header(b"\x93NUMPY\x01\x00\xff\xff{").is_err());
        let file = encode_u8(&[4, 4, 2], &[7; 32]);
        assert!(matches!(
            sample_u8(&file[..file.len() - 5], 0),
            Err(Error::Corrupt { .. })
        ));
        for cut in 0..80 {
            let _ = sample_u8(&file[..cut.min(file.len())], 0); // never panics
        }
    }
}
