//! A fresh seed when the user asks for a random one (A1111's seed −1).

use std::hash::{BuildHasher, Hasher};

/// A random seed in A1111's range [0, 2³²−2], from the process's random hasher keys and the clock.
pub fn random_seed() -> u64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    hasher.write_u128(now);
    hasher.finish() % 4_294_967_295
}
