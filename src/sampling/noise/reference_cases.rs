//! Test support: the seeded-noise references of `tests/fixtures/parity/rng_cases.json`, made by
//! `make_rng_cases.py` from torch 2.15 (`torch.randn` on x86-64) and from AUTOMATIC1111's
//! `modules/rng_philox.py` algorithm ("NV").

use serde_json::Value;
use sha2::{Digest, Sha256};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/parity/rng_cases.json");

/// The expected values of one draw.
pub struct Reference {
    pub n: usize,
    pub first16_bits: Vec<u32>,
    pub last16_bits: Vec<u32>,
    /// Every value, when the draw has at most 128.
    pub all_bits: Option<Vec<u32>>,
    /// sha256 of all values as little-endian f32 bytes.
    pub sha256_f32le: String,
}

/// One fresh generator per source, seeded `seed`, drawing `n` values once.
pub struct Case {
    pub seed: u64,
    pub shape: Vec<usize>,
    pub n: usize,
    pub torch_cpu: Reference,
    pub nv: Reference,
}

/// Successive draws on one generator: torch calls in order, NV draws at the listed offsets.
pub struct Sequence {
    pub seed: u64,
    pub torch_cpu: Vec<Reference>,
    pub nv: Vec<(u64, Reference)>,
}

fn fixture() -> Value {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn cases() -> Vec<Case> {
    let fixture = fixture();
    let cases: Vec<Case> = fixture["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| Case {
            seed: case["seed"].as_u64().unwrap(),
            shape: case["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect(),
            n: case["n"].as_u64().unwrap() as usize,
            torch_cpu: reference(&case["torch_cpu"]),
            nv: reference(&case["nv"]),
        })
        .collect();
    assert_eq!(cases.len(), 30, "the fixture lost cases");
    cases
}

/// The case for `seed` and `shape`.
pub fn case(seed: u64, shape: &[usize]) -> Case {
    cases().into_iter().find(|case| case.seed == seed && case.shape == shape).unwrap()
}

pub fn sequences() -> Vec<Sequence> {
    let fixture = fixture();
    let sequences: Vec<Sequence> = fixture["sequences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sequence| Sequence {
            seed: sequence["seed"].as_u64().unwrap(),
            torch_cpu: sequence["torch_cpu"].as_array().unwrap().iter().map(reference).collect(),
            nv: sequence["nv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|draw| (draw["offset"].as_u64().unwrap(), reference(draw)))
                .collect(),
        })
        .collect();
    assert_eq!(sequences.len(), 5, "the fixture lost sequences");
    sequences
}

/// The sequence for `seed`.
pub fn sequence(seed: u64) -> Sequence {
    sequences().into_iter().find(|sequence| sequence.seed == seed).unwrap()
}

fn reference(value: &Value) -> Reference {
    let bits = |key: &str| -> Vec<u32> { value[key].as_array().unwrap().iter().map(|b| b.as_u64().unwrap() as u32).collect() };
    Reference {
        n: value["n"].as_u64().unwrap() as usize,
        first16_bits: bits("first16_bits"),
        last16_bits: bits("last16_bits"),
        all_bits: value.get("all_bits").map(|_| bits("all_bits")),
        sha256_f32le: value["sha256_f32le"].as_str().unwrap().to_owned(),
    }
}

pub fn sha256_f32le(values: &[f32]) -> String {
    let mut hasher = Sha256::new();
    for value in values {
        hasher.update(value.to_le_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Bit-exact comparison of a draw with its reference.
pub fn assert_matches_reference(got: &[f32], want: &Reference, what: &str) {
    assert_eq!(got.len(), want.n, "{what}: length");
    let bits: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
    let head = want.first16_bits.len();
    assert_eq!(&bits[..head], want.first16_bits.as_slice(), "{what}: first values");
    assert_eq!(&bits[bits.len() - want.last16_bits.len()..], want.last16_bits.as_slice(), "{what}: last values");
    if let Some(all) = &want.all_bits {
        assert_eq!(&bits, all, "{what}: all values");
    }
    assert_eq!(sha256_f32le(got), want.sha256_f32le, "{what}: sha256 of all values");
}
