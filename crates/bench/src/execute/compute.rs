//! Emulated time: an accelerator's compute per step, a sample's preprocessing, an
//! evaluation step. Drawn as DLIO's `utility.sleep` draws them (a number, or a normal,
//! uniform, gamma, exponential or Poisson distribution; the absolute value of the draw)
//! and slept with the operating system's precise sleep (`nanosleep`), not an async timer
//! with millisecond ticks.

use std::time::Duration;

use crate::config::schema::{DistKind, Seconds, TimeDist};
use crate::plan::numpy_rng::NumpyRng;

/// One emulated time and the generator it is drawn from.
#[derive(Debug)]
pub struct TimeModel {
    dist: Seconds,
    rng: NumpyRng,
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
            rng: NumpyRng::seed(seed),
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

    fn uniform(&mut self) -> f64 {
        // 53 random bits in (0, 1).
        let hi = (self.rng.next_u32() >> 5) as u64;
        let lo = (self.rng.next_u32() >> 6) as u64;
        ((hi << 26 | lo) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    fn gamma(&mut self, shape: f64) -> f64 {
        // Marsaglia and Tsang; shape < 1 through the boost u^(1/shape).
        if shape <= 0.0 {
            return 0.0;
        }
        if shape < 1.0 {
            return self.gamma(shape + 1.0) * self.uniform().powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        for _ in 0..1000 {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v > 0.0 && self.uniform().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
        d
    }

    fn poisson(&mut self, lam: f64) -> f64 {
        if lam <= 0.0 {
            return 0.0;
        }
        if lam > 30.0 {
            return (lam + lam.sqrt() * self.normal()).round().max(0.0);
        }
        let limit = (-lam).exp();
        let (mut k, mut p) = (0.0, 1.0);
        loop {
            p *= self.uniform();
            if p <= limit {
                return k;
            }
            k += 1.0;
        }
    }

    fn sample(&mut self, d: TimeDist) -> f64 {
        let g = |v: Option<f64>| v.unwrap_or(0.0);
        match d.kind {
            None | Some(DistKind::Normal) => match d.stdev {
                Some(sd) if sd > 0.0 => g(d.mean) + sd * self.normal(),
                _ => g(d.mean),
            },
            Some(DistKind::Uniform) => g(d.min) + (g(d.max) - g(d.min)) * self.uniform(),
            Some(DistKind::Gamma) => self.gamma(g(d.shape)) * g(d.scale),
            Some(DistKind::Exponential) => -g(d.scale) * self.uniform().ln(),
            Some(DistKind::Poisson) => self.poisson(g(d.lam)),
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
