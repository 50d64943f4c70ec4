//! Sample shapes as DLIO's generators draw them: a square-ish 2-D record per sample with side
//! `√record_length_bytes`, each file's two sides drawn from a normal distribution with
//! standard deviation `record_length_bytes_stdev / (2·√record_length_bytes)` (at least 1).
//! Deterministic per (seed, file index).

use mlstor_datagen::block::mix;

use crate::config::schema::Dataset;

/// The `(dim1, dim2)` of every sample of file `file_index` (one shape per file, as in DLIO).
pub fn dims(d: &Dataset, seed: u64, file_index: u64) -> (u64, u64) {
    let mean = d.record_length_bytes.max(1.0).sqrt();
    let stdev = d.record_length_bytes_stdev / 2.0 / mean;
    let side = |k: u64| -> u64 {
        if stdev <= 0.0 {
            return (mean as u64).max(1);
        }
        let u1 = unit(mix(seed ^ mix(file_index.wrapping_mul(4).wrapping_add(k))));
        let u2 = unit(mix(seed ^ mix(file_index.wrapping_mul(4).wrapping_add(k + 2))));
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        ((mean + stdev * z) as i64).max(1) as u64
    };
    (side(0), side(1))
}

/// A uniform number in (0, 1].
fn unit(x: u64) -> f64 {
    ((x >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_size_without_stdev() {
        let d = Dataset {
            record_length_bytes: 1048576.0,
            ..Dataset::default()
        };
        assert_eq!(dims(&d, 1, 7), (1024, 1024));
    }

    #[test]
    fn sizes_follow_the_distribution() {
        let d = Dataset {
            record_length_bytes: 146600628.0,
            record_length_bytes_stdev: 68341808.0,
            ..Dataset::default()
        };
        let sides: Vec<f64> = (0..4000).map(|i| dims(&d, 9, i).0 as f64).collect();
        let mean = sides.iter().sum::<f64>() / sides.len() as f64;
        let sd = (sides.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / sides.len() as f64).sqrt();
        let want_mean = 146600628f64.sqrt();
        let want_sd = 68341808.0 / 2.0 / want_mean;
        assert!((mean / want_mean - 1.0).abs() < 0.02, "{mean} vs {want_mean}");
        assert!((sd / want_sd - 1.0).abs() < 0.06, "{sd} vs {want_sd}");
        assert_eq!(dims(&d, 9, 5), dims(&d, 9, 5), "deterministic");
    }
}
