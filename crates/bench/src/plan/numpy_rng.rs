//! NumPy's legacy global RNG as DLIO uses it for shuffling: `np.random.seed(s)` (MT19937
//! seeded by `init_genrand`) followed by `np.random.shuffle(x)` (Fisher–Yates from the end,
//! each index drawn by masked rejection sampling, numpy's `random_interval`). Reproducing it
//! bit for bit lets `--dlio-compat` read files in exactly DLIO's order.

const N: usize = 624;
const M: usize = 397;

/// MT19937 in numpy's legacy seeding.
#[derive(Clone)]
pub struct NumpyRng {
    mt: [u32; N],
    pos: usize,
}

impl std::fmt::Debug for NumpyRng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NumpyRng(pos {})", self.pos)
    }
}

impl NumpyRng {
    /// `np.random.seed(seed)` (numpy accepts 0 ..= 2^32 - 1).
    pub fn seed(seed: u32) -> NumpyRng {
        let mut mt = [0u32; N];
        mt[0] = seed;
        for i in 1..N {
            mt[i] = 1812433253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        NumpyRng { mt, pos: N }
    }

    fn twist(&mut self) {
        for i in 0..N {
            let y = (self.mt[i] & 0x8000_0000) | (self.mt[(i + 1) % N] & 0x7fff_ffff);
            let mut v = self.mt[(i + M) % N] ^ (y >> 1);
            if y & 1 != 0 {
                v ^= 0x9908_b0df;
            }
            self.mt[i] = v;
        }
        self.pos = 0;
    }

    /// The next tempered 32-bit output (`genrand_int32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.twist();
        }
        let mut y = self.mt[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn next_u64(&mut self) -> u64 {
        ((self.next_u32() as u64) << 32) | self.next_u32() as u64
    }

    /// numpy's `random_interval(max)`: uniform in `0 ..= max`.
    pub fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for s in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> s;
        }
        loop {
            let v = if max <= 0xffff_ffff {
                (self.next_u32() as u64) & mask
            } else {
                self.next_u64() & mask
            };
            if v <= max {
                return v;
            }
        }
    }

    /// `np.random.shuffle(x)` in place.
    pub fn shuffle<T>(&mut self, x: &mut [T]) {
        for i in (1..x.len()).rev() {
            let j = self.interval(i as u64) as usize;
            x.swap(i, j);
        }
    }
}

/// The 32-bit seed numpy takes for `np.random.seed(seed)`; DLIO seeds with `seed + epoch`.
pub fn numpy_seed(seed: u64) -> u32 {
    (seed & 0xffff_ffff) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_mt19937() {
        // The reference implementation's first outputs for init_genrand(5489).
        let mut r = NumpyRng::seed(5489);
        let first: Vec<u32> = (0..3).map(|_| r.next_u32()).collect();
        assert_eq!(first, [3499211612, 581869302, 3890346734]);
    }

    #[test]
    fn shuffles_as_numpy_does() {
        // Printed by numpy 2.x: np.random.seed(124); a = list(range(10)); np.random.shuffle(a)
        let mut a: Vec<u32> = (0..10).collect();
        NumpyRng::seed(124).shuffle(&mut a);
        assert_eq!(a, [6, 8, 3, 5, 4, 0, 9, 2, 7, 1]);
        // np.random.seed(5); a = list(range(100000)); np.random.shuffle(a); a[:5]
        let mut b: Vec<u32> = (0..100_000).collect();
        NumpyRng::seed(5).shuffle(&mut b);
        assert_eq!(b[..5], [60743, 33949, 52805, 11804, 9229]);
    }
}
