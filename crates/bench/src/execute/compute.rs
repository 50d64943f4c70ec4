//! Emulated time: an accelerator's compute per step, a sample's preprocessing, an
//! evaluation step. Drawn as DLIO's `utility.sleep` draws them (a number, or a normal,
//! uniform, gamma, exponential or Poisson distribution; the absolute value of the draw)
//! and slept with the operating system's precise sleep (`nanosleep`), not an async timer
//! with millisecond ticks. The distributions are `rand_distr`'s, drawn from NumPy's
//! generator (MT19937, [`NumpyRng`]).

use std::convert::Infallible;
use std::time::Duration;

use rand_distr::{Distribution, Exp, Gamma, Normal, Poisson, Uniform};

use crate::config::schema::{DistKind, Seconds, TimeDist};
use crate::plan::numpy_rng::NumpyRng;

/// NumPy's generator as a `rand` random source.
#[derive(Debug)]
struct Mt(NumpyRng);

impl rand_core::TryRng for Mt {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        // NumPy's order: the high word first.
        let hi = u64::from(self.0.next_u32());
        Ok(hi << 32 | u64::from(self.0.next_u32()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(4) {
            let w = self.0.next_u32().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

/// One emulated time and the generator it is drawn from.
#[derive(Debug)]
pub struct TimeModel {
    dist: Seconds,
    rng: Mt,
}

impl TimeModel {
    /// `value` with DLIO's separate `*_stdev` key folded in (it sets the normal's stdev),
    /// drawn from a generator seeded with `seed`.
    pub fn new(value: Seconds, stdev: f64, seed: u32) -> TimeModel {
        let dist = match value {
            Seconds::Fixed(mean) if stdev > 0.0 => Seconds::Dist(TimeDist {
                mean: Some(mean),
                stdev: Some(stdev),
                ..TimeDist::default()
            }),
            Seconds::Dist(d) if stdev > 0.0 && matches!(d.kind, None | Some(DistKind::Normal)) => {
                Seconds::Dist(TimeDist {
                    stdev: Some(stdev),
                    ..d
                })
            }
            other => other,
        };
        TimeModel {
            dist,
            rng: Mt(NumpyRng::seed(seed)),
        }
    }

    /// Whether every draw is zero (nothing to emulate).
    pub fn is_zero(&self) -> bool {
        matches!(self.dist, Seconds::Fixed(v) if v == 0.0)
    }

    /// The next duration.
    pub fn draw(&mut self) -> Duration {
        let secs = match self.dist {
            Seconds::Fixed(v) => v,
            Seconds::Dist(d) => self.sample(d),
        };
        Duration::try_from_secs_f64(secs.abs()).unwrap_or(Duration::ZERO)
    }

    /// Draws and sleeps; returns the drawn duration.
    pub fn sleep(&mut self) -> Duration {
        let d = self.draw();
        if !d.is_zero() {
            std::thread::sleep(d);
        }
        d
    }

    /// A draw of `d`; parameters a distribution refuses (a zero or negative spread or
    /// rate, an empty range) give its mean's natural fallback: the mean, the lower bound, 0.
    fn sample(&mut self, d: TimeDist) -> f64 {
        let g = |v: Option<f64>| v.unwrap_or(0.0);
        let rng = &mut self.rng;
        match d.kind {
            None | Some(DistKind::Normal) => match d.stdev.filter(|&sd| sd > 0.0) {
                Some(sd) => Normal::new(g(d.mean), sd).map_or(g(d.mean), |n| n.sample(rng)),
                None => g(d.mean),
            },
            Some(DistKind::Uniform) => Uniform::new(g(d.min), g(d.max)).map_or(g(d.min), |u| u.sample(rng)),
            Some(DistKind::Gamma) => Gamma::new(g(d.shape), g(d.scale)).map_or(0.0, |x| x.sample(rng)),
            Some(DistKind::Exponential) if g(d.scale) > 0.0 => {
                Exp::new(1.0 / g(d.scale)).map_or(0.0, |x| x.sample(rng))
            }
            Some(DistKind::Exponential) => 0.0,
            Some(DistKind::Poisson) => Poisson::new(g(d.lam)).map_or(0.0, |x| x.sample(rng)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(m: &mut TimeModel, n: usize) -> (f64, f64) {
        let v: Vec<f64> = (0..n).map(|_| m.draw().as_secs_f64()).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        (mean, sd)
    }

    fn dist(kind: DistKind) -> TimeDist {
        TimeDist {
            kind: Some(kind),
            ..TimeDist::default()
        }
    }

    #[test]
    fn fixed_and_stdev_key() {
        let mut m = TimeModel::new(Seconds::Fixed(0.25), 0.0, 1);
        assert_eq!(m.draw(), Duration::from_millis(250));
        assert!(TimeModel::new(Seconds::Fixed(0.0), 0.0, 1).is_zero());
        let mut n = TimeModel::new(Seconds::Fixed(1.0), 0.1, 1);
        let (mean, sd) = stats(&mut n, 20000);
        assert!(
            (mean - 1.0).abs() < 0.01 && (sd - 0.1).abs() < 0.01,
            "{mean} {sd}"
        );
    }

    #[test]
    fn distributions_have_their_means() {
        let cases = [
            (
                TimeDist {
                    min: Some(1.0),
                    max: Some(3.0),
                    ..dist(DistKind::Uniform)
                },
                2.0,
            ),
            (
                TimeDist {
                    shape: Some(2.0),
                    scale: Some(0.5),
                    ..dist(DistKind::Gamma)
                },
                1.0,
            ),
            (
                TimeDist {
                    scale: Some(0.3),
                    ..dist(DistKind::Exponential)
                },
                0.3,
            ),
            (
                TimeDist {
                    lam: Some(4.0),
                    ..dist(DistKind::Poisson)
                },
                4.0,
            ),
        ];
        for (d, want) in cases {
            assert_eq!(d.mean(), want, "{d:?}");
            let mut m = TimeModel::new(Seconds::Dist(d), 0.0, 7);
            let (mean, _) = stats(&mut m, 40000);
            assert!((mean / want - 1.0).abs() < 0.03, "{d:?}: {mean} vs {want}");
        }
    }

    #[test]
    fn negative_draws_fold_to_their_absolute_value() {
        // DLIO sleeps abs(draw): the mean of |N(0, 1)| is sqrt(2/pi) = 0.798.
        let mut m = TimeModel::new(Seconds::Fixed(0.0), 1.0, 3);
        let (mean, _) = stats(&mut m, 40000);
        assert!((mean - 0.798).abs() < 0.01, "{mean}");
    }
}
