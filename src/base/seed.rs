//! The project's seed derivation: one seed per (run seed, name, purpose), so
//! a new use of randomness in one place changes nothing anywhere else. The
//! hosts' random streams (`host::env::Streams`) and the per-student variants
//! (`scenario::vary`) both derive their seeds here.

/// FNV-1a over (seed, name, purpose), finished with SplitMix64 — stable
/// across platforms and Rust versions (unlike std's hasher).
pub fn derive(seed: u64, name: &str, purpose: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed
        .to_le_bytes()
        .iter()
        .chain([0xff].iter())
        .chain(name.as_bytes())
        .chain([0xff].iter())
        .chain(purpose.as_bytes())
    {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}
