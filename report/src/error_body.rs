//! Reading the error bodies of Gafaelfawr and FastAPI services (Muster
//! included): `{"detail": {"msg", "type"}}` or `{"detail": [{"msg",
//! "type"}, …]}`. The server reads Gafaelfawr's failures with it, the
//! clients the answers they judge, and `muster-check` the refusals of its
//! token calls.

use serde_json::Value;

/// An error body: JSON with a `detail`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorBody {
    json: Value,
}

impl ErrorBody {
    /// The error body `body` holds, if it is JSON with a `detail`. Read
    /// with the crate's own small JSON parser, which the wasm page already
    /// carries.
    pub fn read(body: &[u8]) -> Option<Self> {
        Self::read_text(std::str::from_utf8(body).ok()?)
    }

    /// [`ErrorBody::read`] for a body already known to be text.
    pub fn read_text(body: &str) -> Option<Self> {
        let json = crate::json_parse::parse(body).ok()?;
        json.get("detail")?;
        Some(Self { json })
    }

    /// The `detail` entries: the items of a list, or the one value.
    fn details(&self) -> &[Value] {
        match self.json.get("detail") {
            Some(Value::Array(items)) => items,
            Some(other) => std::slice::from_ref(other),
            None => &[],
        }
    }

    /// The `type` of the first entry: the error's kind, e.g.
    /// `invalid_token`.
    pub fn error_type(&self) -> Option<&str> {
        self.details().first()?.get("type")?.as_str()
    }

    /// The `type` of every entry that has one.
    pub fn error_types(&self) -> impl Iterator<Item = &str> {
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

    fn read(body: &str) -> Option<ErrorBody> {
        ErrorBody::read(body.as_bytes())
    }

    #[test]
    fn both_detail_shapes_are_read() {
        let list = read(r#"{"detail":[{"msg":"x","type":"invalid_request"},{"type":"b"}]}"#);
        let list = list.unwrap();
        assert_eq!(list.error_type(), Some("invalid_request"));
        assert_eq!(
            list.error_types().collect::<Vec<_>>(),
            ["invalid_request", "b"]
        );
        assert_eq!(list.messages(), ["x (invalid_request)"]);
        let one = read(r#"{"detail":{"msg":"y","type":"no_authorization"}}"#).unwrap();
        assert_eq!(one.error_type(), Some("no_authorization"));
        assert_eq!(read(r#"{"detail":{"msg":"z"}}"#).unwrap().messages(), ["z"]);
    }

    #[test]
    fn other_bodies_have_no_error() {
        assert_eq!(read("<html>Bad Gateway</html>"), None);
        assert_eq!(read(r#"{"ok":true}"#), None);
        assert_eq!(ErrorBody::read(b"\xff"), None);
        let text = read(r#"{"detail":"Not Found"}"#).unwrap();
        assert_eq!((text.error_type(), text.messages().len()), (None, 0));
        assert_eq!(read(r#"{"detail":[]}"#).unwrap().error_type(), None);
    }
}
