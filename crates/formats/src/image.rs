//! PNG and JPEG files as DLIO writes them with Pillow: one 8-bit grayscale image of
//! `dim1 × dim2` per file (`Image.fromarray(uint8 array).save(...)`); the sample a reader
//! gets is the decoded pixels (DLIO v2.0), or the file's bytes, checked by its header
//! (DLIO 3.0.2, which reads image files without decoding them).

use crate::{Error, Result};

/// A PNG of `width × height` 8-bit grayscale `pixels` (row-major).
pub fn encode_png(width: u32, height: u32, pixels: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let bad = |e: png::EncodingError| Error::Corrupt {
        format: "png",
        reason: e.to_string(),
    };
    let mut w = enc.write_header().map_err(bad)?;
    w.write_image_data(pixels).map_err(bad)?;
    w.finish().map_err(bad)?;
    Ok(out)
}

/// The pixels of a PNG, as bytes.
pub fn decode_png(file: &[u8]) -> Result<Vec<u8>> {
    let bad = |e: png::DecodingError| Error::Corrupt {
        format: "png",
        reason: e.to_string(),
    };
    let mut reader = png::Decoder::new(std::io::Cursor::new(file))
        .read_info()
        .map_err(bad)?;
    let size = reader.output_buffer_size().ok_or_else(|| Error::Corrupt {
        format: "png",
        reason: "image too large".into(),
    })?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    buf.truncate(info.buffer_size());
    Ok(buf)
}

/// A JPEG (quality 75, Pillow's default) of `width × height` 8-bit grayscale `pixels`.
pub fn encode_jpeg(width: u16, height: u16, pixels: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 75)
        .encode(pixels, width, height, jpeg_encoder::ColorType::Luma)
        .map_err(|e| Error::Corrupt {
            format: "jpeg",
            reason: e.to_string(),
        })?;
    Ok(out)
}

/// The pixels of a JPEG, as bytes.
pub fn decode_jpeg(file: &[u8]) -> Result<Vec<u8>> {
    jpeg_decoder::Decoder::new(file)
        .decode()
        .map_err(|e| Error::Corrupt {
            format: "jpeg",
            reason: e.to_string(),
        })
}

/// The size of a PNG's or JPEG's pixels from its header alone (no decoding): what
/// DLIO 3.0.2 reads of an image file is its bytes, which is checked to be an image.
pub fn pixels_len(format: &'static str, file: &[u8]) -> Result<u64> {
    let bad = |reason: String| Error::Corrupt { format, reason };
    if format == "png" {
        let reader = png::Decoder::new(std::io::Cursor::new(file))
            .read_info()
            .map_err(|e| bad(e.to_string()))?;
        reader
            .output_buffer_size()
            .map(|n| n as u64)
            .ok_or_else(|| bad("image too large".into()))
    } else {
        let mut d = jpeg_decoder::Decoder::new(file);
        d.read_info().map_err(|e| bad(e.to_string()))?;
        let info = d.info().ok_or_else(|| bad("no frame header".into()))?;
        Ok(u64::from(info.width) * u64::from(info.height) * info.pixel_format.pixel_bytes() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_is_exact() {
        let px: Vec<u8> = (0..64 * 48).map(|i| (i * 7 % 256) as u8).collect();
        let f = encode_png(64, 48, &px).expect("png");
        assert_eq!(decode_png(&f).expect("decode"), px);
        assert!(decode_png(&f[..f.len() / 2]).is_err());
        assert!(decode_png(b"nope").is_err());
        assert_eq!(pixels_len("png", &f).expect("header"), 64 * 48);
        assert!(pixels_len("png", b"nope").is_err());
    }

    #[test]
    fn jpeg_round_trip_has_the_right_size() {
        let px: Vec<u8> = (0..64 * 48).map(|i| (i % 256) as u8).collect();
        let f = encode_jpeg(64, 48, &px).expect("jpeg");
        assert_eq!(decode_jpeg(&f).expect("decode").len(), 64 * 48);
        assert!(decode_jpeg(&f[..20]).is_err());
        assert_eq!(pixels_len("jpeg", &f).expect("header"), 64 * 48);
        assert!(pixels_len("jpeg", &f[..20]).is_err());
    }
}
