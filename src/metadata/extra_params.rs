//! An insertion-ordered string map for infotext `Key: value` pairs Nurie has no field for.
//!
//! It behaves like the Python `dict` A1111 parses infotext into: a repeated key keeps its first
//! position and takes the last value. In JSON it is an object whose keys keep their order.

use std::collections::HashMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExtraParams {
    entries: Vec<(String, String)>,
    /// Where each key is in `entries`. Text from a file can hold hundreds of thousands of pairs; a
    /// search of `entries` per pair made reading (and writing) such a text take hours.
    positions: HashMap<String, usize>,
}

impl fmt::Debug for ExtraParams {
    /// The pairs in order (`positions` repeats them).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtraParams").field("entries", &self.entries).finish()
    }
}

impl ExtraParams {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`; an existing key keeps its position (Python dict semantics).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.positions.get(&key) {
            Some(&position) => self.entries[position].1 = value,
            None => {
                self.positions.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.positions.get(key).map(|&position| self.entries[position].1.as_str())
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let position = self.positions.remove(key)?;
        for later in self.positions.values_mut().filter(|p| **p > position) {
            *later -= 1;
        }
        Some(self.entries.remove(position).1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.positions.contains_key(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for ExtraParams {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut params = ExtraParams::new();
        for (key, value) in iter {
            params.insert(key, value);
        }
        params
    }
}

impl Serialize for ExtraParams {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ExtraParams {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(OrderedMapVisitor)
    }
}

struct OrderedMapVisitor;

impl<'de> Visitor<'de> for OrderedMapVisitor {
    type Value = ExtraParams;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object of string values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<ExtraParams, A::Error> {
        let mut params = ExtraParams::new();
        while let Some((key, value)) = access.next_entry::<String, String>()? {
            params.insert(key, value);
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_key_keeps_first_position_and_last_value() {
        let mut params = ExtraParams::new();
        params.insert("b", "1");
        params.insert("a", "2");
        params.insert("b", "3");
        let entries: Vec<_> = params.iter().collect();
        assert_eq!(entries, vec![("b", "3"), ("a", "2")]);
    }

    #[test]
    fn remove_returns_the_value_and_keeps_the_order_of_the_rest() {
        let mut params: ExtraParams = [("x", "1"), ("y", "2"), ("z", "3")].into_iter().collect();
        assert_eq!(params.remove("y").as_deref(), Some("2"));
        assert_eq!(params.remove("y"), None);
        assert_eq!(params.iter().collect::<Vec<_>>(), vec![("x", "1"), ("z", "3")]);
    }

    #[test]
    fn json_object_keeps_insertion_order_both_ways() {
        let params: ExtraParams = [("Zeta", "1"), ("Alpha", "a, b")].into_iter().collect();
        let json = serde_json::to_string(&params).unwrap();
        assert_eq!(json, r#"{"Zeta":"1","Alpha":"a, b"}"#);
        let back: ExtraParams = serde_json::from_str(&json).unwrap();
        assert_eq!(back, params);
    }

    /// Fuzzing found infotext with 40,000 distinct keys taking 5 s to read and 5 s to write (and a
    /// 16 MiB PNG chunk over an hour): each insert searched every earlier key.
    #[test]
    fn many_distinct_keys_take_linear_time() {
        let started = std::time::Instant::now();
        let params: ExtraParams = (0..200_000).map(|i| (format!("K{i}"), i.to_string())).collect();
        assert_eq!((params.len(), params.get("K199999")), (200_000, Some("199999")));
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn lookups_follow_removals() {
        let mut params: ExtraParams = [("x", "1"), ("y", "2"), ("z", "3")].into_iter().collect();
        params.remove("x");
        params.insert("z", "4");
        params.insert("w", "5");
        assert_eq!(params.iter().collect::<Vec<_>>(), vec![("y", "2"), ("z", "4"), ("w", "5")]);
        assert_eq!((params.get("y"), params.get("x")), (Some("2"), None));
    }

    #[test]
    fn non_string_values_are_a_deserialization_error() {
        assert!(serde_json::from_str::<ExtraParams>(r#"{"a": 1}"#).is_err());
    }
}
