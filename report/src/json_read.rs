//! Reading report types out of parsed JSON by hand.
//!
//! serde's derived decoders are generated once per type *and* per
//! deserializer; in the browser app the route report's alone cost about
//! 5 KB of compressed wasm. The types the page decodes most (the route
//! report and its checks, Muster's upstream bodies) are instead read from a
//! [`serde_json::Value`] — which every page parses anyway — by the small
//! readers here. Their `Deserialize` impls go through the same readers, so
//! each type has one decoder, whichever path reaches it.
//!
//! Two modes, because the JSON comes from two kinds of writer:
//! - **lenient**, like serde's derive: unknown fields are ignored, an
//!   absent or null optional field is `None` ([`Fields`] by default);
//! - **exact**, for Muster's upstream bodies, whose byte-for-byte shape is
//!   what existing clients rely on: [`Fields::finish_exact`] refuses unknown
//!   fields, and [`Fields::omitted_or`] refuses a null where the writer
//!   leaves the field out.

use serde_json::{Map, Value};

/// A JSON value that reads into `Self`.
pub trait FromJson: Sized {
    /// `value` as a `Self`, or why it is not one.
    fn from_json(value: &Value) -> Result<Self, String>;
}

impl FromJson for String {
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| expected("a string", value))
    }
}

impl FromJson for i64 {
    fn from_json(value: &Value) -> Result<Self, String> {
        value.as_i64().ok_or_else(|| expected("an integer", value))
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value) -> Result<Self, String> {
        let items = value
            .as_array()
            .ok_or_else(|| expected("an array", value))?;
        items
            .iter()
            .enumerate()
            .map(|(index, item)| T::from_json(item).map_err(|error| format!("[{index}]: {error}")))
            .collect()
    }
}

/// serde's reading of an `Option`: null is `None`.
impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            value => T::from_json(value).map(Some),
        }
    }
}

/// "expected a string, found a number".
fn expected(what: &str, found: &Value) -> String {
    let kind = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    format!("expected {what}, found {kind}")
}

/// Implements `Deserialize` for a [`FromJson`] type: the JSON is read into
/// a `Value` (whose decoder every deserializer has anyway), then by hand.
macro_rules! deserialize_from_json {
    ($type:ty) => {
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;
                <$type as $crate::json_read::FromJson>::from_json(&value)
                    .map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use deserialize_from_json;

/// A unit enum written as one of a fixed set of words: the variant whose
/// `word` is `value`.
pub fn word_of<T: Copy>(
    value: &Value,
    variants: &[T],
    word: fn(T) -> &'static str,
) -> Result<T, String> {
    let text = value.as_str().ok_or_else(|| expected("a string", value))?;
    variants
        .iter()
        .copied()
        .find(|variant| word(*variant) == text)
        // Quoted by hand: `{:?}` would link core's escaping tables into
        // the page for this one message, which is shown as text anyway.
        .ok_or_else(|| format!("unknown value \"{text}\""))
}

/// The fields of a JSON object, read one by one.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    /// The keys asked for and found.
    read: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    /// The fields of `value`, which must be an object.
    pub fn of(value: &'a Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or_else(|| expected("an object", value))?;
        Ok(Self {
            object,
            read: Vec::new(),
        })
    }

    fn get(&mut self, key: &str) -> Option<&'a Value> {
        let (key, value) = self.object.get_key_value(key)?;
        self.read.push(key);
        Some(value)
    }

    /// Field `key`, which must be present.
    pub fn required<T: FromJson>(&mut self, key: &str) -> Result<T, String> {
        let value = self
            .get(key)
            .ok_or_else(|| format!("missing field `{key}`"))?;
        T::from_json(value).map_err(|error| format!("`{key}`: {error}"))
    }

    /// Field `key`, or `T`'s default when it is absent (serde's
    /// `#[serde(default)]`; an `Option` is also `None` when null).
    pub fn or_default<T: FromJson + Default>(&mut self, key: &str) -> Result<T, String> {
        match self.get(key) {
            None => Ok(T::default()),
            Some(value) => T::from_json(value).map_err(|error| format!("`{key}`: {error}")),
        }
    }

    /// Exact mode: field `key`, or `T`'s default when it is absent, as long
    /// as a present value is not one the writer would have left out
    /// (`omitted`: null, an empty list).
    pub fn omitted_or<T: FromJson + Default>(
        &mut self,
        key: &str,
        omitted: fn(&T) -> bool,
    ) -> Result<T, String> {
        match self.get(key) {
            None => Ok(T::default()),
            Some(Value::Null) => Err(format!("`{key}` is null instead of left out")),
            Some(value) => {
                let read = T::from_json(value).map_err(|error| format!("`{key}`: {error}"))?;
                if omitted(&read) {
                    return Err(format!("`{key}` is empty instead of left out"));
                }
                Ok(read)
            }
        }
    }

    /// Exact mode: succeeds when every field of the object was read.
    pub fn finish_exact(self) -> Result<(), String> {
        match self
            .object
            .keys()
            .find(|key| !self.read.contains(&key.as_str()))
        {
            None => Ok(()),
            Some(unknown) => Err(format!("unknown field `{unknown}`")),
        }
    }
}
