//! Reading the error bodies of Gafaelfawr and FastAPI services (Muster
//! included): `{"detail": {"msg", "type"}}` or `{"detail": [{"msg",
//! "type"}, …]}`. The server reads Gafaelfawr's failures with it, the
//! clients the answers they judge, and `muster-check` the refusals of its
//! token calls; each parses the JSON as it already does (the wasm page with
//! the crate's own small parser), and this reader says what it means.

use serde_json::Value;

/// An error body: parsed JSON with a `detail`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorBody<'a> {
    detail: &'a Value,
}

impl<'a> ErrorBody<'a> {
    /// The error body `json` is, if it has a `detail`.
    pub fn of(json: &'a Value) -> Option<Self> {
        Some(Self {
            detail: json.get("detail")?,
        })
    }

    /// The `detail` entries: the items of a list, or the one value.
    fn details(&self) -> &'a [Value] {
        match self.detail {
            Value::Array(items) => items,
            other => std::slice::from_ref(other),
        }
    }

    /// The `type` of the first entry: the error's kind, e.g.
    /// `invalid_token`.
    pub fn error_type(&self) -> Option<&'a str> {
        self.details().first()?.get("type")?.as_str()
    }

    /// The header the first entry is about (`loc: ["header", "<Name>"]`).
    pub fn header(&self) -> Option<&'a str> {
        let loc = self.details().first()?.get("loc")?;
        (loc.get(0)?.as_str()? == "header").then_some(loc.get(1)?.as_str()?)
    }

    /// The `msg` of the first entry, as it came (not redacted).
    pub fn message(&self) -> Option<&'a str> {
        self.details().first()?.get("msg")?.as_str()
    }

    /// The `type` of every entry that has one.
    pub fn error_types(&self) -> impl Iterator<Item = &'a str> {
        self.details()
            .iter()
            .filter_map(|detail| detail.get("type")?.as_str())
    }

    /// `<msg> (<type>)`, or `<msg>` alone, for every entry with a
    /// message; not redacted.
    pub fn messages(&self) -> Vec<String> {
        self.details()
            .iter()
            .filter_map(|detail| {
                let msg = detail.get("msg")?.as_str()?;
                Some(match detail.get("type").and_then(Value::as_str) {
                    Some(kind) => format!("{msg} ({kind})"),
                    None => msg.to_owned(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(body: &str) -> Value {
        crate::json_parse::parse(body).unwrap()
    }

    #[test]
    fn both_detail_shapes_are_read() {
        let list = json(r#"{"detail":[{"msg":"x","type":"invalid_request"},{"type":"b"}]}"#);
        let list = ErrorBody::of(&list).unwrap();
        assert_eq!(list.error_type(), Some("invalid_request"));
        assert_eq!(
            list.error_types().collect::<Vec<_>>(),
            ["invalid_request", "b"]
        );
        assert_eq!(list.messages(), ["x (invalid_request)"]);
        let one = json(r#"{"detail":{"msg":"y","type":"no_authorization"}}"#);
        assert_eq!(
            ErrorBody::of(&one).unwrap().error_type(),
            Some("no_authorization")
        );
        let bare = json(r#"{"detail":{"msg":"z"}}"#);
        assert_eq!(ErrorBody::of(&bare).unwrap().messages(), ["z"]);
    }

    #[test]
    fn the_first_entry_names_its_header_and_message() {
        let muster = json(
            r#"{"detail":[{"loc":["header","X-Auth-Request-Token"],"msg":"m","type":"missing_header"}]}"#,
        );
        let muster = ErrorBody::of(&muster).unwrap();
        assert_eq!(
            (muster.header(), muster.message()),
            (Some("X-Auth-Request-Token"), Some("m"))
        );
        let path = json(r#"{"detail":[{"loc":["path","mode"],"msg":"n","type":"literal_error"}]}"#);
        assert_eq!(ErrorBody::of(&path).unwrap().header(), None);
    }

    #[test]
    fn other_bodies_have_no_error() {
        assert_eq!(ErrorBody::of(&json(r#"{"ok":true}"#)), None);
        assert_eq!(ErrorBody::of(&json("[1]")), None);
        let text = json(r#"{"detail":"Not Found"}"#);
        let text = ErrorBody::of(&text).unwrap();
        assert_eq!((text.error_type(), text.messages().len()), (None, 0));
        let empty = json(r#"{"detail":[]}"#);
        assert_eq!(ErrorBody::of(&empty).unwrap().error_type(), None);
    }
}
