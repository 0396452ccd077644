//! Vectors as recall keeps them: unit length, each component × 127 rounded to a signed byte.
//!
//! A quarter of the size of `f32` (768 bytes a message for a 768-dimension model), and the
//! similarity of two such vectors is an integer dot product, which the compiler vectorises. The
//! rounding moves a cosine similarity by under 0.02 (384 dimensions, measured), far less than the
//! gap between a related and an unrelated message, so the ranking recall needs is kept.

/// The scale a unit component is stored at.
const SCALE: f32 = 127.0;

/// `v` scaled to unit length and quantised; `None` for a zero (or non-finite) vector.
pub fn quantize(v: &[f32]) -> Option<Vec<i8>> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !(norm.is_finite() && norm > 0.0) {
        return None;
    }
    Some(
        v.iter()
            .map(|x| (x / norm * SCALE).round().clamp(-SCALE, SCALE) as i8)
            .collect(),
    )
}

/// The cosine similarity of two quantised vectors of the same length (−1 to 1).
pub fn similarity(a: &[i8], b: &[i8]) -> f32 {
    dot(a, b) as f32 / (SCALE * SCALE)
}

#[inline]
fn dot(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| i32::from(*x) * i32::from(*y))
        .sum()
}

/// Stored bytes to a vector and back.
pub fn from_bytes(bytes: &[u8]) -> Vec<i8> {
    bytes.iter().map(|b| *b as i8).collect()
}

pub fn to_bytes(v: &[i8]) -> Vec<u8> {
    v.iter().map(|x| *x as u8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        let d: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        d / (n(a) * n(b))
    }

    #[test]
    fn quantised_similarity_stays_close_to_the_cosine() {
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        for _ in 0..200 {
            let a: Vec<f32> = (0..384).map(|_| next()).collect();
            let b: Vec<f32> = a.iter().map(|x| x + next() * 0.8).collect();
            let (qa, qb) = (quantize(&a).unwrap(), quantize(&b).unwrap());
            assert!((similarity(&qa, &qb) - cosine(&a, &b)).abs() < 0.02);
            assert!((similarity(&qa, &qa) - 1.0).abs() < 0.02);
        }
    }

    #[test]
    fn zero_and_broken_vectors_are_refused_and_bytes_round_trip() {
        assert_eq!(quantize(&[0.0, 0.0]), None);
        assert_eq!(quantize(&[f32::NAN, 1.0]), None);
        let v = quantize(&[3.0, -4.0]).unwrap();
        assert_eq!(v, vec![76, -102]);
        assert_eq!(from_bytes(&to_bytes(&v)), v);
    }
}
