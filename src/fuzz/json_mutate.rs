//! Structure-aware mutation of JSON documents (ComfyUI graphs, InvokeAI metadata, Nurie's chunk, a
//! safetensors header): byte mutations of JSON text mostly give "not JSON", which tests nothing past
//! the first line of a parser. These change one value of a parsed document instead — to an extreme
//! number, another type, a link to another node (loops included), a deleted key, a copy of a subtree
//! — and write it out again.

use serde_json::{Map, Number, Value};

use super::mutate::TEXT_TOKENS;
use super::rng::Rng;

/// Applies one to four value mutations to `document`.
pub fn mutate_json(rng: &mut Rng, document: &mut Value, corpus: &[Value]) {
    let node_ids: Vec<String> = match document {
        Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    for _ in 0..=rng.small_below(4) {
        let count = count_values(document);
        let mut index = rng.below(count);
        let donor = random_subtree(rng, corpus);
        if let Some(value) = nth_value(document, &mut index) {
            mutate_value(rng, value, &node_ids, donor);
        }
    }
}

fn count_values(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_values).sum(),
        Value::Object(map) => map.values().map(count_values).sum(),
        _ => 0,
    }
}

/// The `index`-th value in pre-order.
fn nth_value<'v>(value: &'v mut Value, index: &mut usize) -> Option<&'v mut Value> {
    if *index == 0 {
        return Some(value);
    }
    *index -= 1;
    match value {
        Value::Array(items) => items.iter_mut().find_map(|item| nth_value(item, index)),
        Value::Object(map) => map.values_mut().find_map(|item| nth_value(item, index)),
        _ => None,
    }
}

fn random_subtree(rng: &mut Rng, corpus: &[Value]) -> Option<Value> {
    let mut document = rng.pick(corpus)?.clone();
    let mut index = rng.below(count_values(&document));
    nth_value(&mut document, &mut index).map(std::mem::take)
}

fn mutate_value(rng: &mut Rng, value: &mut Value, node_ids: &[String], donor: Option<Value>) {
    match rng.below(8) {
        0 | 1 => *value = extreme_number(rng),
        2 => *value = Value::String(odd_string(rng)),
        3 => *value = link(rng, node_ids),
        4 => remove_member(rng, value),
        5 => *value = other_type(rng, std::mem::take(value)),
        6 => add_member(rng, value, donor),
        _ => {
            if let Some(donor) = donor {
                *value = donor;
            }
        }
    }
}

fn extreme_number(rng: &mut Rng) -> Value {
    let integers = [0, 1, u32::MAX as u64, u32::MAX as u64 + 1, i64::MAX as u64, u64::MAX];
    let signed = [-1, -2, i64::MIN, i32::MIN as i64];
    let floats = [0.5, -0.0, 1e308, -1e308, 5e-324, 1.0000000000000002, 9007199254740993.0];
    match rng.below(3) {
        0 => Value::Number(integers[rng.below(integers.len())].into()),
        1 => Value::Number(signed[rng.below(signed.len())].into()),
        _ => Number::from_f64(floats[rng.below(floats.len())]).map_or(Value::Null, Value::Number),
    }
}

fn odd_string(rng: &mut Rng) -> String {
    let token = rng.pick(TEXT_TOKENS).copied().unwrap_or("");
    match rng.below(4) {
        0 => String::new(),
        1 => token.repeat(1 + rng.small_below(4096)),
        _ => token.to_string(),
    }
}

/// `[node id, slot]`, ComfyUI's link: to an existing node (possibly itself) or a missing one.
fn link(rng: &mut Rng, node_ids: &[String]) -> Value {
    let id = match rng.pick(node_ids) {
        Some(id) if !rng.one_in(4) => Value::String(id.clone()),
        _ => extreme_number(rng),
    };
    let slot = if rng.one_in(2) { Value::Number(rng.below(3).into()) } else { extreme_number(rng) };
    Value::Array(vec![id, slot])
}

fn remove_member(rng: &mut Rng, value: &mut Value) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map.keys().cloned().collect();
            if let Some(key) = rng.pick(&keys) {
                map.remove(key);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            items.remove(rng.below(items.len()));
        }
        _ => *value = Value::Null,
    }
}

fn add_member(rng: &mut Rng, value: &mut Value, donor: Option<Value>) {
    let donor = donor.unwrap_or_else(|| extreme_number(rng));
    match value {
        Value::Object(map) => {
            let key = if rng.one_in(2) { odd_string(rng) } else { map.len().to_string() };
            map.insert(key, donor);
        }
        Value::Array(items) => items.insert(rng.below(items.len() + 1), donor),
        other => *other = Value::Array(vec![std::mem::take(other), donor]),
    }
}

/// The same content in another JSON type: a number as a string, a value wrapped in an array or
/// object, a container flattened to null, true or its length.
fn other_type(rng: &mut Rng, value: Value) -> Value {
    match rng.below(5) {
        0 => Value::String(value.to_string()),
        1 => Value::Array(vec![value]),
        2 => Value::Object(Map::from_iter([("value".to_string(), value)])),
        3 => Value::Bool(true),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutated_documents_are_still_json() {
        let seed: Value = serde_json::json!({"3": {"class_type": "KSampler", "inputs": {"seed": 1, "model": ["4", 0]}}});
        let corpus = vec![seed.clone()];
        let mut rng = Rng::new(3);
        let mut changed = 0;
        for _ in 0..2000 {
            let mut document = seed.clone();
            mutate_json(&mut rng, &mut document, &corpus);
            let text = serde_json::to_string(&document).unwrap();
            assert!(serde_json::from_str::<Value>(&text).is_ok(), "{text}");
            changed += usize::from(document != seed);
        }
        assert!(changed > 1500, "{changed}");
    }
}
