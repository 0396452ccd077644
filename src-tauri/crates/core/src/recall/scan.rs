//! Finding the vectors closest to a query among one chat's, fast enough for every request.
//!
//! Up to [`EXACT_UP_TO`] vectors, every one is scored (an integer dot product each). Beyond, a
//! 100,000-message chat would spend tens of milliseconds on that, so the table also keeps one bit
//! per dimension of each vector — whether it lies above the chat's mean there — and the query is
//! compared with those first: the Hamming distance between two such sign patterns estimates the
//! angle between the vectors (sign random projections; centring on the mean first keeps the bits
//! informative for embedding models, whose vectors share a common direction). The [`shortlist`]
//! nearest by bits are then scored exactly, so the order of what is returned is the exact one;
//! only a vector the bits misjudge badly can be missed, which the tests measure.

use super::vector;

/// Chats with at most this many vectors are scored exhaustively.
pub const EXACT_UP_TO: usize = 4096;

/// How many vectors the bit comparison passes on to exact scoring for `limit` results (more
/// when several are as far as the last of them).
pub fn shortlist(limit: usize) -> usize {
    (limit * 16).max(256)
}

/// One chat's vectors of one model, with their sign bits once the table is large.
#[derive(Debug, Default)]
pub struct Table {
    dims: usize,
    ids: Vec<i64>,
    data: Vec<i8>,
    /// The mean the bits are taken against, and how many vectors there were when it was taken:
    /// it is taken again once the table has doubled (new vectors use the old one until then).
    centre: Vec<i32>,
    centred_at: usize,
    /// `words()` u64s of bits per vector, for the first `signs.len() / words()` vectors.
    signs: Vec<u64>,
}

impl Table {
    pub fn new(dims: usize) -> Self {
        Self {
            dims,
            ..Self::default()
        }
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Adds a vector (of `dims()` components) and returns its place.
    pub fn push(&mut self, id: i64, v: &[i8]) -> usize {
        debug_assert_eq!(v.len(), self.dims);
        self.ids.push(id);
        self.data.extend_from_slice(v);
        self.ids.len() - 1
    }

    /// Replaces the vector at `place` (its message's text changed).
    pub fn replace(&mut self, place: usize, v: &[i8]) {
        self.data[place * self.dims..(place + 1) * self.dims].copy_from_slice(v);
        if self.signed() > place {
            let words = self.words();
            let bits = signs(v, &self.centre);
            self.signs[place * words..(place + 1) * words].copy_from_slice(&bits);
        }
    }

    fn vector(&self, place: usize) -> &[i8] {
        &self.data[place * self.dims..(place + 1) * self.dims]
    }

    fn words(&self) -> usize {
        self.dims.div_ceil(64)
    }

    fn signed(&self) -> usize {
        match self.words() {
            0 => 0,
            w => self.signs.len() / w,
        }
    }

    /// Brings the sign bits up to date with the vectors.
    fn sign_all(&mut self) {
        let n = self.len();
        if self.centre.is_empty() || n >= self.centred_at * 2 {
            let mut sum = vec![0i64; self.dims];
            for place in 0..n {
                for (s, x) in sum.iter_mut().zip(self.vector(place)) {
                    *s += i64::from(*x);
                }
            }
            self.centre = sum.iter().map(|s| (s / n.max(1) as i64) as i32).collect();
            self.centred_at = n;
            self.signs.clear();
        }
        for place in self.signed()..n {
            let bits = signs(self.vector(place), &self.centre);
            self.signs.extend_from_slice(&bits);
        }
    }

    /// The `limit` vectors with ids below `before` most similar to `query` (of `dims()`
    /// components) and at least `min` similar, best first.
    pub fn nearest(
        &mut self,
        query: &[i8],
        before: i64,
        limit: usize,
        min: f32,
    ) -> Vec<(i64, f32)> {
        if query.len() != self.dims || limit == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(i64, f32)> = if self.len() <= EXACT_UP_TO {
            (0..self.len())
                .filter(|&p| self.ids[p] < before)
                .map(|p| (self.ids[p], vector::similarity(self.vector(p), query)))
                .filter(|(_, s)| *s >= min)
                .collect()
        } else {
            self.sign_all();
            let q = signs(query, &self.centre);
            let distances = distances(&self.signs, &self.ids, &q, before);
            // Every distance is 0..=dims: a histogram finds the shortlist's furthest distance in
            // one pass, without sorting 100,000 of them.
            let mut histogram = vec![0usize; self.dims + 1];
            for d in &distances {
                if let Some(n) = histogram.get_mut(usize::from(*d)) {
                    *n += 1;
                }
            }
            let keep = shortlist(limit);
            let mut furthest = 0;
            let mut within = 0;
            for (d, n) in histogram.iter().enumerate() {
                furthest = d;
                within += n;
                if within >= keep {
                    break;
                }
            }
            distances
                .iter()
                .enumerate()
                .filter(|(_, d)| usize::from(**d) <= furthest)
                .map(|(p, _)| (self.ids[p], vector::similarity(self.vector(p), query)))
                .filter(|(_, s)| *s >= min)
                .collect()
        };
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        scored.truncate(limit);
        scored
    }
}

/// One bit per dimension: whether the component lies above the centre's.
fn signs(v: &[i8], centre: &[i32]) -> Vec<u64> {
    let mut bits = vec![0u64; v.len().div_ceil(64)];
    for (i, (x, c)) in v.iter().zip(centre).enumerate() {
        if i32::from(*x) > *c {
            bits[i / 64] |= 1 << (i % 64);
        }
    }
    bits
}

/// Each vector's distance in bits from `q` (`u16::MAX` for those with ids from `before` on).
///
/// Counting bits is most of a search in a long chat, and the x86-64 baseline the app is built
/// for has no instruction for it: the portable count is a dozen instructions a word, and takes
/// about twice as long. Nearly every x86-64 CPU since 2008 has `popcnt`, so it is used when the
/// CPU says it has it.
fn distances(signs: &[u64], ids: &[i64], q: &[u64], before: i64) -> Vec<u16> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the function needs `popcnt` and nothing else, and the CPU has it (checked just
        // above).
        #[allow(unsafe_code)]
        return unsafe { distances_popcnt(signs, ids, q, before) };
    }
    distances_portable(signs, ids, q, before)
}

/// [`distances_portable`] compiled with the `popcnt` instruction.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[target_feature(enable = "popcnt")]
unsafe fn distances_popcnt(signs: &[u64], ids: &[i64], q: &[u64], before: i64) -> Vec<u16> {
    distances_portable(signs, ids, q, before)
}

/// Always inlined, so that it is compiled anew inside [`distances_popcnt`]; and a plain loop, as
/// `collect()` would put it in a function of the standard library's, compiled without `popcnt`.
#[inline(always)]
fn distances_portable(signs: &[u64], ids: &[i64], q: &[u64], before: i64) -> Vec<u16> {
    let mut distances = Vec::with_capacity(ids.len());
    for (bits, id) in signs.chunks_exact(q.len()).zip(ids) {
        let mut d = 0;
        if *id < before {
            for (x, y) in bits.iter().zip(q) {
                d += (x ^ y).count_ones();
            }
        } else {
            d = u32::from(u16::MAX);
        }
        distances.push(d as u16);
    }
    distances
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        }
    }

    /// Vectors like an embedding model's: on topics, sharing a common direction.
    fn corpus(rng: &mut Rng, n: usize, dims: usize) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        let common: Vec<f32> = (0..dims).map(|_| rng.next() * 2.0).collect();
        let topics: Vec<Vec<f32>> = (0..300)
            .map(|_| (0..dims).map(|_| rng.next()).collect())
            .collect();
        let vectors = (0..n)
            .map(|i| {
                let t = &topics[(i * 7) % topics.len()];
                (0..dims)
                    .map(|d| common[d] + t[d] + rng.next() * 0.9)
                    .collect()
            })
            .collect();
        (vectors, topics)
    }

    fn exact(table: &Table, query: &[i8], limit: usize) -> Vec<i64> {
        let mut all: Vec<(i64, f32)> = (0..table.len())
            .map(|p| (table.ids[p], vector::similarity(table.vector(p), query)))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
        all.into_iter().take(limit).map(|(id, _)| id).collect()
    }

    #[test]
    fn the_bit_shortlist_finds_what_exact_scoring_finds() {
        let mut rng = Rng(11);
        let dims = 384;
        let (vectors, topics) = corpus(&mut rng, 10_000, dims);
        let mut table = Table::new(dims);
        for (i, v) in vectors.iter().enumerate() {
            table.push(i as i64, &vector::quantize(v).unwrap());
        }
        let (mut same, mut total) = (0, 0);
        // Half the questions near a topic, half near one message.
        for (i, t) in topics.iter().take(20).enumerate() {
            let near = if i % 2 == 0 { t } else { &vectors[i * 97] };
            let q: Vec<f32> = near.iter().map(|x| x + rng.next() * 0.5).collect();
            let q = vector::quantize(&q).unwrap();
            let want = exact(&table, &q, 20);
            let got: Vec<i64> = table
                .nearest(&q, i64::MAX, 20, -1.0)
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            total += want.len();
            same += want.iter().filter(|id| got.contains(id)).count();
        }
        assert!(
            same * 100 >= total * 95,
            "the shortlist kept {same} of the {total} exact nearest"
        );
    }

    #[test]
    fn bit_distances_are_counted_the_same_with_and_without_popcnt() {
        let mut state = 17u64;
        let words = 12;
        let bits: Vec<u64> = (0..words * 300)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                state
            })
            .collect();
        let ids: Vec<i64> = (0..300).collect();
        let q = bits[words * 7..words * 8].to_vec();
        let got = distances(&bits, &ids, &q, 250);
        let want: Vec<u16> = bits
            .chunks_exact(words)
            .zip(&ids)
            .map(|(b, id)| match *id < 250 {
                true => b
                    .iter()
                    .zip(&q)
                    .map(|(x, y)| (x ^ y).count_ones())
                    .sum::<u32>() as u16,
                false => u16::MAX,
            })
            .collect();
        assert_eq!(got, want);
        assert_eq!(got[7], 0, "a pattern is at no distance from itself");
        assert_eq!(distances_portable(&bits, &ids, &q, 250), want);
    }

    #[test]
    fn small_tables_are_scored_exactly_and_respect_before_and_the_minimum() {
        let mut rng = Rng(3);
        let (vectors, _) = corpus(&mut rng, 500, 64);
        let mut table = Table::new(64);
        for (i, v) in vectors.iter().enumerate() {
            table.push(i as i64, &vector::quantize(v).unwrap());
        }
        let q = vector::quantize(&vectors[42]).unwrap();
        let got = table.nearest(&q, 400, 10, 0.3);
        assert_eq!(got[0].0, 42, "a vector is nearest to itself");
        assert!(got.iter().all(|(id, s)| *id < 400 && *s >= 0.3));
        assert!(got.windows(2).all(|w| w[0].1 >= w[1].1), "best first");
        assert!(table
            .nearest(&q, 42, 10, 0.3)
            .iter()
            .all(|(id, _)| *id < 42));
        assert!(table.nearest(&q[..10], i64::MAX, 10, 0.3).is_empty());
    }

    #[test]
    fn large_tables_keep_new_and_replaced_vectors_in_their_bits() {
        let mut rng = Rng(5);
        let (vectors, _) = corpus(&mut rng, EXACT_UP_TO + 600, 128);
        let mut table = Table::new(128);
        for (i, v) in vectors.iter().enumerate().take(EXACT_UP_TO + 500) {
            table.push(i as i64, &vector::quantize(v).unwrap());
        }
        let q = vector::quantize(&vectors[7]).unwrap();
        assert_eq!(table.nearest(&q, i64::MAX, 5, -1.0)[0].0, 7);
        // Added after the bits were taken, then found by them.
        let late = EXACT_UP_TO + 550;
        table.push(late as i64, &vector::quantize(&vectors[late]).unwrap());
        let q = vector::quantize(&vectors[late]).unwrap();
        assert_eq!(table.nearest(&q, i64::MAX, 5, -1.0)[0].0, late as i64);
        // A replaced vector is found by its new value.
        table.replace(7, &q);
        let top: Vec<i64> = table
            .nearest(&q, i64::MAX, 2, -1.0)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(top, vec![late as i64, 7]);
    }
}
