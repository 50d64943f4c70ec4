//! TFRecord files as DLIO writes them: one `tf.train.Example` per sample with features
//! `image` (the sample's bytes) and `size` (an int64), each record framed as
//! `u64 length | u32 masked crc32c(length) | payload | u32 masked crc32c(payload)`; and the
//! DALI index (`tfrecord2idx`: one `offset size` line per record) that lets a reader fetch
//! one sample with a byte-range read.

use crate::{Error, Result};

fn corrupt(reason: impl std::fmt::Display) -> Error {
    Error::Corrupt {
        format: "tfrecord",
        reason: reason.to_string(),
    }
}

/// TFRecord's CRC masking.
fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    (crc.rotate_right(15)).wrapping_add(0xa282_ead8)
}

/// Bytes of framing around each payload.
pub const FRAMING: u64 = 8 + 4 + 4;

/// Appends one framed record holding `payload` to `out`.
pub fn write_record(out: &mut Vec<u8>, payload: &[u8]) {
    let len = (payload.len() as u64).to_le_bytes();
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&masked_crc(payload).to_le_bytes());
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A length-delimited protobuf field.
fn field(out: &mut Vec<u8>, number: u64, body: &[u8]) {
    varint(out, number << 3 | 2);
    varint(out, body.len() as u64);
    out.extend_from_slice(body);
}

/// `tf.train.Example{features: {"image": bytes_list[image], "size": int64_list[size]}}`.
pub fn example(image: &[u8], size: i64) -> Vec<u8> {
    let feature_entry = |key: &str, feature: Vec<u8>| {
        let mut entry = Vec::new();
        field(&mut entry, 1, key.as_bytes());
        field(&mut entry, 2, &feature);
        entry
    };
    let mut bytes_list = Vec::new();
    field(&mut bytes_list, 1, image);
    let mut image_feature = Vec::new();
    field(&mut image_feature, 1, &bytes_list);
    let mut packed = Vec::new();
    varint(&mut packed, size as u64);
    let mut int64_list = Vec::new();
    field(&mut int64_list, 1, &packed);
    let mut size_feature = Vec::new();
    field(&mut size_feature, 3, &int64_list);
    let mut features = Vec::new();
    field(&mut features, 1, &feature_entry("image", image_feature));
    field(&mut features, 1, &feature_entry("size", size_feature));
    let mut ex = Vec::with_capacity(image.len() + 64);
    field(&mut ex, 1, &features);
    ex
}

/// The DALI index of a file: `offset size` per record (`size` includes the framing).
pub fn index(file: &[u8]) -> Result<String> {
    let mut out = String::new();
    for r in records(file) {
        let (offset, payload) = r?;
        out.push_str(&format!("{offset} {}\n", payload.len() as u64 + FRAMING));
    }
    Ok(out)
}

/// Parses a DALI index into `(offset, size)` pairs.
pub fn parse_index(text: &str) -> Result<Vec<(u64, u64)>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut it = l.split_whitespace().map(str::parse::<u64>);
            match (it.next(), it.next()) {
                (Some(Ok(o)), Some(Ok(s))) => Ok((o, s)),
                _ => Err(Error::Corrupt {
                    format: "tfrecord index",
                    reason: format!("bad line {l:?}"),
                }),
            }
        })
        .collect()
}

/// Decodes one framed record (exactly its bytes, e.g. from an indexed range read), checking
/// both CRCs; returns the payload.
pub fn decode_record(bytes: &[u8]) -> Result<&[u8]> {
    let (payload, used) = next_record(bytes)?;
    if used != bytes.len() {
        return Err(corrupt(format!("{} bytes after the record", bytes.len() - used)));
    }
    Ok(payload)
}

/// The first record of `bytes` and how many bytes it spans.
fn next_record(bytes: &[u8]) -> Result<(&[u8], usize)> {
    if bytes.len() < 12 {
        return Err(corrupt("truncated record header"));
    }
    let len_bytes = &bytes[..8];
    let stored = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if masked_crc(len_bytes) != stored {
        return Err(corrupt("length CRC mismatch"));
    }
    let len = u64::from_le_bytes(len_bytes.try_into().map_err(corrupt)?);
    let end = 12u64
        .checked_add(len)
        .filter(|e| e + 4 <= bytes.len() as u64)
        .ok_or_else(|| corrupt("truncated record"))? as usize;
    let payload = &bytes[12..end];
    let stored = u32::from_le_bytes([bytes[end], bytes[end + 1], bytes[end + 2], bytes[end + 3]]);
    if masked_crc(payload) != stored {
        return Err(corrupt("payload CRC mismatch"));
    }
    Ok((payload, end + 4))
}

/// Every record of a file: `(offset, payload)`, CRCs checked.
pub fn records(file: &[u8]) -> impl Iterator<Item = Result<(u64, &[u8])>> {
    let mut pos = 0usize;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || pos >= file.len() {
            return None;
        }
        match next_record(&file[pos..]) {
            Ok((payload, used)) => {
                let at = pos as u64;
                pos += used;
                Some(Ok((at, payload)))
            }
            Err(e) => {
                failed = true;
                Some(Err(e))
            }
        }
    })
}

fn read_varint(b: &[u8], pos: &mut usize) -> Result<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b
            .get(*pos)
            .ok_or_else(|| corrupt("truncated varint in Example"))?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(v);
        }
    }
    Err(corrupt("overlong varint in Example"))
}

/// The fields of a protobuf message: (number, wire type, body for length-delimited).
fn fields(b: &[u8]) -> Result<Vec<(u64, &[u8])>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let tag = read_varint(b, &mut pos)?;
        match tag & 7 {
            0 => {
                read_varint(b, &mut pos)?;
            }
            1 => pos += 8,
            5 => pos += 4,
            2 => {
                let len = read_varint(b, &mut pos)? as usize;
                let body = b
                    .get(pos..pos.saturating_add(len))
                    .ok_or_else(|| corrupt("truncated field in Example"))?;
                out.push((tag >> 3, body));
                pos += len;
            }
            w => return Err(corrupt(format!("unsupported protobuf wire type {w}"))),
        }
    }
    Ok(out)
}

/// The first value of bytes feature `name` in a serialized `tf.train.Example`.
pub fn feature_bytes<'a>(example: &'a [u8], name: &str) -> Result<&'a [u8]> {
    for (n, features) in fields(example)? {
        if n != 1 {
            continue;
        }
        for (n, entry) in fields(features)? {
            if n != 1 {
                continue;
            }
            let entry = fields(entry)?;
            let key = entry.iter().find(|(n, _)| *n == 1).map(|(_, k)| *k);
            if key != Some(name.as_bytes()) {
                continue;
            }
            let feature = entry
                .iter()
                .find(|(n, _)| *n == 2)
                .map(|(_, f)| *f)
                .unwrap_or_default();
            for (n, list) in fields(feature)? {
                if n == 1 {
                    let value = fields(list)?.into_iter().find(|(n, _)| *n == 1).map(|(_, v)| v);
                    return value.ok_or_else(|| corrupt(format!("feature {name} has no value")));
                }
            }
            return Err(corrupt(format!("feature {name} is not a bytes list")));
        }
    }
    Err(corrupt(format!("Example has no feature {name:?}")))
}

/// Sample `index` of a file: the `image` feature of its `index`-th record.
pub fn sample(file: &[u8], index: u64) -> Result<Vec<u8>> {
    let mut have = 0;
    for r in records(file) {
        let (_, payload) = r?;
        if have == index {
            return Ok(feature_bytes(payload, "image")?.to_vec());
        }
        have += 1;
    }
    Err(Error::NoSuchSample {
        format: "tfrecord",
        index,
        have,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(samples: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for s in samples {
            write_record(&mut out, &example(s, 42));
        }
        out
    }

    #[test]
    fn round_trip_with_index_and_range_reads() {
        let samples: [&[u8]; 3] = [b"first image", &[7u8; 300], b""];
        let f = file(&samples);
        for (i, s) in samples.iter().enumerate() {
            assert_eq!(sample(&f, i as u64).expect("sample"), *s);
        }
        let idx = parse_index(&index(&f).expect("index")).expect("parse");
        assert_eq!(idx.len(), 3);
        let (off, size) = idx[1];
        let payload = decode_record(&f[off as usize..(off + size) as usize]).expect("ranged");
        assert_eq!(feature_bytes(payload, "image").expect("image"), &[7u8; 300]);
        assert!(matches!(sample(&f, 3), Err(Error::NoSuchSample { have: 3, .. })));
    }

    #[test]
    fn crc_of_known_vector() {
        // TensorFlow's masked CRC of the empty string.
        assert_eq!(masked_crc(b""), 0xa282_ead8);
    }

    #[test]
    fn corruption_is_detected_never_panics() {
        let f = file(&[b"abc", b"defgh"]);
        for i in 0..f.len() {
            let mut g = f.clone();
            g[i] ^= 0x01;
            assert!(
                sample(&g, 0).is_err() || sample(&g, 1).is_err() || index(&g).is_err(),
                "flip at {i} unnoticed"
            );
        }
        for cut in 0..f.len() {
            let _ = sample(&f[..cut], 1);
            let _ = index(&f[..cut]);
        }
        assert!(feature_bytes(&[0xff, 0xff, 0xff], "image").is_err());
        assert!(parse_index("12 x\n").is_err());
    }
}
