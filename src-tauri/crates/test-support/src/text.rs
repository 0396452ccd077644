//! Generated text for the benchmarks (search and recall in confab-core): a deterministic generator and a vocabulary of made-up
//! words drawn by Zipf's law, as natural text is (a few very common words, most rare).

pub const VOCABULARY: usize = 30_000;

/// A small deterministic generator (xorshift64*), so every run builds the same messages.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Pronounceable made-up words, the most frequent first.
pub fn vocabulary(rng: &mut Rng) -> Vec<String> {
    const ONSETS: [&str; 16] = [
        "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "st", "tr",
    ];
    const VOWELS: [&str; 6] = ["a", "e", "i", "o", "u", "ai"];
    let mut words = std::collections::BTreeSet::new();
    let mut list = Vec::with_capacity(VOCABULARY);
    while list.len() < VOCABULARY {
        let syllables = 1 + rng.below(3) + usize::from(list.len() > 2_000);
        let word: String = (0..syllables)
            .map(|_| format!("{}{}", ONSETS[rng.below(16)], VOWELS[rng.below(6)]))
            .collect();
        if words.insert(word.clone()) {
            list.push(word);
        }
    }
    list
}

/// Cumulative Zipf weights (s = 1) over the vocabulary, for drawing words by rank.
pub fn zipf() -> Vec<f64> {
    let mut sum = 0.0;
    (1..=VOCABULARY)
        .map(|rank| {
            sum += 1.0 / rank as f64;
            sum
        })
        .collect()
}

pub fn draw(rng: &mut Rng, cumulative: &[f64]) -> usize {
    let x = rng.unit() * cumulative[cumulative.len() - 1];
    cumulative.partition_point(|&c| c < x)
}
