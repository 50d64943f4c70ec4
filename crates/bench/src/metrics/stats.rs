//! Mean and spread of a series of figures, as NumPy computes them.

use serde::{Deserialize, Serialize};

/// Mean and population standard deviation (NumPy's `np.std`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MeanStd {
    pub mean: f64,
    pub stdev: f64,
}

impl MeanStd {
    pub fn of(v: &[f64]) -> MeanStd {
        if v.is_empty() {
            return MeanStd::default();
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        MeanStd {
            mean,
            stdev: var.sqrt(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_stdev_as_numpy() {
        assert_eq!(MeanStd::of(&[]), MeanStd::default());
        assert_eq!(
            MeanStd::of(&[1.0, 3.0]),
            MeanStd {
                mean: 2.0,
                stdev: 1.0
            }
        );
    }
}
