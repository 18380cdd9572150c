//! What a client saw for one request: the request as sent and the response
//! (or the transport error), redacted when recorded, so that neither client
//! can show, print or share a secret by forgetting to redact.

use serde::{Deserialize, Serialize};

use super::{Credentials, Prepared};
use crate::error_body::ErrorBody;
use crate::json_read::FromJson;
use crate::model::RouteReport;
use crate::redact;
use crate::text::{display_name, shorten};

/// Most bytes of a response body kept; the rest is cut (and marked). Large
/// enough for any route report.
pub const BODY_MAX_BYTES: usize = 64 * 1024;

/// One header, name lower-case, value redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Lower-case name.
    pub name: String,
    /// Redacted value.
    pub value: String,
}

/// The request as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentRequest {
    /// HTTP method.
    pub method: String,
    /// Absolute URL (tokens in it fingerprinted).
    pub url: String,
    /// The credentials attached; see [`Credentials::describe`].
    pub credentials: Credentials,
    /// Headers the client set explicitly, redacted (a browser adds its own,
    /// which scripts cannot see).
    #[serde(default)]
    pub headers: Vec<Header>,
}

/// The response as the client could read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseSeen {
    /// HTTP status; 0 for an opaque redirect.
    pub status: u16,
    /// Browser `redirect: 'manual'`: a redirect whose status, `Location` and
    /// body scripts cannot read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opaque_redirect: bool,
    /// Every header, names lower-case, values redacted.
    #[serde(default)]
    pub headers: Vec<Header>,
    /// The body as text (not UTF-8 bytes replaced), redacted, at most
    /// [`BODY_MAX_BYTES`].
    #[serde(default)]
    pub body: String,
    /// True when `body` was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
    /// True when the body was not UTF-8: `body` shows it with the bad bytes
    /// replaced, and it is never read as JSON (as serde_json's `from_slice`
    /// refuses it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub body_not_utf8: bool,
}

/// What came back.
// Read through `ReceivedWire`: serde's derive for an internally tagged enum
// buffers every value in its generic `Content` tree, which costs the wasm
// page kilobytes; the JSON shape is the same either way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "ReceivedWire")]
pub enum Received {
    /// An HTTP response.
    Response(ResponseSeen),
    /// No response: DNS, connection, TLS, timeout… (the message, redacted).
    TransportError {
        /// What the HTTP client said.
        message: String,
    },
}

/// The JSON of a [`Received`] (`"kind"` and the fields of either variant),
/// read without buffering.
#[derive(Deserialize)]
struct ReceivedWire {
    kind: ReceivedKind,
    status: Option<u16>,
    #[serde(default)]
    opaque_redirect: bool,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    body: String,
    #[serde(default)]
    body_truncated: bool,
    #[serde(default)]
    body_not_utf8: bool,
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ReceivedKind {
    Response,
    TransportError,
}

impl TryFrom<ReceivedWire> for Received {
    type Error = &'static str;

    fn try_from(wire: ReceivedWire) -> Result<Self, Self::Error> {
        Ok(match wire.kind {
            ReceivedKind::Response => Received::Response(ResponseSeen {
                status: wire.status.ok_or("missing field `status`")?,
                opaque_redirect: wire.opaque_redirect,
                headers: wire.headers,
                body: wire.body,
                body_truncated: wire.body_truncated,
                body_not_utf8: wire.body_not_utf8,
            }),
            ReceivedKind::TransportError => Received::TransportError {
                message: wire.message.ok_or("missing field `message`")?,
            },
        })
    }
}

/// One request and what came back, redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The request as sent.
    pub request: SentRequest,
    /// The response, or why there was none.
    pub received: Received,
    /// Time from sending to the end of the body, in milliseconds.
    pub elapsed_ms: u64,
}

impl Exchange {
    /// Records an HTTP response to `sent`: every header and the body are
    /// redacted (and the body capped) here.
    pub fn response<N, V>(
        sent: &Prepared,
        status: u16,
        headers: impl IntoIterator<Item = (N, V)>,
        body: &[u8],
        elapsed_ms: u64,
    ) -> Self
    where
        N: AsRef<str>,
        V: AsRef<str>,
    {
        let secrets = secrets(sent);
        let headers = headers
            .into_iter()
            .map(|(name, value)| {
                let name = name.as_ref().to_ascii_lowercase();
                let value =
                    redact::secrets_in_text(&redact::header_value(&name, value.as_ref()), &secrets);
                Header { name, value }
            })
            .collect();
        let kept = &body[..body.len().min(BODY_MAX_BYTES)];
        // A character cut by the cap at the very end does not count.
        let not_utf8 = match std::str::from_utf8(kept) {
            Ok(_) => false,
            Err(error) => error.error_len().is_some() || kept.len() == body.len(),
        };
        let body_text = redact::secrets_in_text(
            &redact::tokens_in_text(&String::from_utf8_lossy(kept)),
            &secrets,
        );
        Self::new(
            sent,
            Received::Response(ResponseSeen {
                status,
                opaque_redirect: false,
                headers,
                body: body_text,
                body_truncated: body.len() > BODY_MAX_BYTES,
                body_not_utf8: not_utf8,
            }),
            elapsed_ms,
        )
    }

    /// Records a browser `redirect: 'manual'` answer (`response.type ===
    /// 'opaqueredirect'`): status 0, nothing readable.
    pub fn opaque_redirect(sent: &Prepared, elapsed_ms: u64) -> Self {
        Self::new(
            sent,
            Received::Response(ResponseSeen {
                status: 0,
                opaque_redirect: true,
                headers: Vec::new(),
                body: String::new(),
                body_truncated: false,
                body_not_utf8: false,
            }),
            elapsed_ms,
        )
    }

    /// Records a request that got no HTTP response; `message` is redacted.
    pub fn transport_error(sent: &Prepared, message: &str, elapsed_ms: u64) -> Self {
        let message = shorten(&redact::secrets_in_text(
            &redact::tokens_in_text(message),
            &secrets(sent),
        ));
        Self::new(sent, Received::TransportError { message }, elapsed_ms)
    }

    fn new(sent: &Prepared, received: Received, elapsed_ms: u64) -> Self {
        let secrets = secrets(sent);
        // A probe's own fixed credential (`Token bogus`, the unknown token)
        // is no secret: shown as sent, like the Credentials line and the
        // curl line show it.
        let fixed = match &sent.credentials {
            Credentials::Authorization(value) => Some(value.to_string()),
            Credentials::UnknownToken => Some(format!("Bearer {}", super::UNKNOWN_TOKEN)),
            Credentials::None | Credentials::User | Credentials::NoScope => None,
        };
        let headers = sent
            .headers
            .iter()
            .map(|(name, value)| {
                let name = name.to_ascii_lowercase();
                let value = if name == "authorization" && fixed.as_deref() == Some(value.as_str()) {
                    value.clone()
                } else {
                    redact::secrets_in_text(&redact::header_value(&name, value), &secrets)
                };
                Header { name, value }
            })
            .collect();
        Self {
            request: SentRequest {
                method: sent.method.to_owned(),
                url: redact::secrets_in_text(&redact::tokens_in_text(&sent.url), &secrets),
                credentials: sent.credentials.clone(),
                headers,
            },
            received,
            elapsed_ms,
        }
    }

    /// The response, if there was one.
    pub fn response_seen(&self) -> Option<&ResponseSeen> {
        match &self.received {
            Received::Response(response) => Some(response),
            Received::TransportError { .. } => None,
        }
    }

    /// The server's full report, when the body is one (`?report=true`).
    pub fn route_report(&self) -> Option<RouteReport> {
        self.response_seen()?.route_report()
    }

    /// A `curl` command repeating the request, with `$TOKEN` (or
    /// `$NO_SCOPE_TOKEN`) where a secret went; redirects are not followed.
    ///
    /// The exchange may come from a hostile share link, and the line is
    /// meant to be pasted into a shell: every value from the exchange is
    /// single-quoted, and only the fixed placeholders sit in double quotes.
    pub fn curl(&self) -> String {
        let mut line = String::from("curl -sS -i");
        if self.request.method != "GET" {
            line.push_str(&format!(" -X {}", shell_quote(&self.request.method)));
        }
        for header in &self.request.headers {
            if header.name != "authorization" {
                let value = format!("{}: {}", display_name(&header.name), header.value);
                line.push_str(&format!(" -H {}", shell_quote(&value)));
            }
        }
        let authorization = match &self.request.credentials {
            Credentials::None => None,
            // Double quotes so the shell expands the placeholder.
            Credentials::User => Some("\"Authorization: Bearer $TOKEN\"".to_owned()),
            Credentials::NoScope => Some("\"Authorization: Bearer $NO_SCOPE_TOKEN\"".to_owned()),
            Credentials::Authorization(value) => {
                Some(shell_quote(&format!("Authorization: {value}")))
            }
            Credentials::UnknownToken => Some(shell_quote(&format!(
                "Authorization: Bearer {}",
                super::UNKNOWN_TOKEN
            ))),
        };
        if let Some(header) = authorization {
            line.push_str(&format!(" -H {header}"));
        }
        line.push(' ');
        line.push_str(&shell_quote(&self.request.url));
        line
    }
}

impl ResponseSeen {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|header| header.name.eq_ignore_ascii_case(name))
            .map(|header| header.value.as_str())
    }

    /// True for a redirect: an opaque one, or a 3xx status.
    pub fn is_redirect(&self) -> bool {
        self.opaque_redirect || (300..400).contains(&self.status)
    }

    /// The server's full report, when the body is one (`?report=true`).
    pub fn route_report(&self) -> Option<RouteReport> {
        RouteReport::from_json(&self.json()?).ok()
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        if self.body_not_utf8 {
            return None;
        }
        crate::json_parse::parse(&self.body).ok()
    }

    /// The `type` of a Gafaelfawr or FastAPI error body (see [`ErrorBody`]).
    pub fn error_type(&self) -> Option<String> {
        let json = self.json()?;
        ErrorBody::of(&json)?.error_type().map(str::to_owned)
    }

    /// Status in words: `HTTP 401`, `HTTP 302 to /login?…`, `an opaque redirect`.
    pub fn describe(&self) -> String {
        if self.opaque_redirect {
            return "an opaque redirect (the browser hides its target)".to_owned();
        }
        match (self.is_redirect(), self.header("location")) {
            (true, Some(location)) => format!("HTTP {} to {location}", self.status),
            _ => format!("HTTP {}", self.status),
        }
    }
}

/// The secret values `sent` carries: the credential of a user or no-scope
/// token. Whatever echoes them (a body, an error) gets a fingerprint.
fn secrets(sent: &Prepared) -> Vec<String> {
    if !matches!(sent.credentials, Credentials::User | Credentials::NoScope) {
        return Vec::new();
    }
    sent.headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .filter_map(|(_, value)| value.split_once(' ').map(|(_, token)| token.trim()))
        .filter(|token| token.len() >= 8)
        .flat_map(|token| {
            // A Gafaelfawr token's secret half alone is a secret too.
            let half = redact::is_token_shaped(token)
                .then(|| token.split_once('.').map(|(_, half)| half.to_owned()))
                .flatten();
            std::iter::once(token.to_owned()).chain(half)
        })
        .collect()
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{probe, Client, Tokens};

    const SECRET: &str = "gt-CanaryKey0000000000000.CanarySecret0000000000";

    fn sent(id: &str) -> Prepared {
        let tokens = Tokens {
            user: Some(SECRET.into()),
            no_scope: None,
        };
        probe(id)
            .unwrap()
            .prepare("https://h/muster", Client::Cli, &tokens)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn recording_redacts_request_headers_response_headers_and_body() {
        let request = sent("auth.fail_route");
        let echoed = format!("you sent {SECRET} and {}", &SECRET[3..]);
        let exchange = Exchange::response(
            &request,
            200,
            [
                ("Set-Cookie", format!("gafaelfawr={SECRET}; Path=/; Secure")),
                ("X-Echo", SECRET.to_owned()),
            ],
            echoed.as_bytes(),
            12,
        );
        let shown = serde_json::to_string(&exchange).unwrap();
        assert!(!shown.contains(&SECRET[3..]), "{shown}");
        assert!(!shown.contains("CanarySecret"), "{shown}");
        let response = exchange.response_seen().unwrap();
        assert_eq!(
            response.header("set-cookie"),
            Some("gafaelfawr=gt-Cana…(48 chars); Path=/; Secure")
        );
        assert_eq!(
            exchange.request.headers[0].value,
            "Bearer gt-Cana…(48 chars)"
        );
    }

    #[test]
    fn transport_errors_are_redacted() {
        let request = sent("auth.fail_route");
        let exchange = Exchange::transport_error(&request, &format!("refused {SECRET}"), 1);
        assert!(!format!("{exchange:?}").contains("CanarySecret"));
    }

    #[test]
    fn bodies_are_capped() {
        let request = sent("auth.fail_route");
        let body = vec![b'a'; BODY_MAX_BYTES + 10];
        let exchange = Exchange::response(&request, 200, Vec::<(&str, &str)>::new(), &body, 1);
        let response = exchange.response_seen().unwrap();
        assert!(response.body_truncated);
        assert_eq!(response.body.len(), BODY_MAX_BYTES);
    }

    #[test]
    fn curl_uses_placeholders_for_secrets_and_literals_for_probes() {
        let user = Exchange::opaque_redirect(&sent("auth.fail_route"), 1);
        assert_eq!(
            user.curl(),
            "curl -sS -i -H \"Authorization: Bearer $TOKEN\" 'https://h/muster/auth/fail?report=true'"
        );
        let forged = Exchange::opaque_redirect(&sent("anonymous.forged_identity_masked"), 1);
        assert!(
            forged
                .curl()
                .contains("-H 'X-Auth-Request-User: muster-forged-user'"),
            "{}",
            forged.curl()
        );
        let bogus = Exchange::opaque_redirect(&sent("auth.malformed_authorization"), 1);
        assert!(bogus.curl().contains("-H 'Authorization: Token bogus'"));
    }

    #[test]
    fn probes_fixed_credentials_are_shown_as_sent_everywhere() {
        // Not secrets: the headers list agrees with the curl line.
        let bogus = Exchange::opaque_redirect(&sent("auth.malformed_authorization"), 1);
        assert_eq!(bogus.request.headers[0].value, "Token bogus");
        let unknown = Exchange::opaque_redirect(&sent("auth.invalid_token"), 1);
        assert_eq!(
            unknown.request.headers[0].value,
            format!("Bearer {}", crate::probe::UNKNOWN_TOKEN)
        );
        // A real token still is not.
        let user = Exchange::opaque_redirect(&sent("auth.fail_route"), 1);
        assert_eq!(user.request.headers[0].value, "Bearer gt-Cana…(48 chars)");
    }

    /// The words a POSIX shell makes of `line`, with `curl` a function that
    /// prints its arguments one per line and `$TOKEN` set to `T`.
    fn shell_words(line: &str, scratch: &std::path::Path) -> Vec<String> {
        let script = format!("curl() {{ printf '%s\\n' \"$@\"; }}; TOKEN=T; {line}");
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(scratch)
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn curl_line_from_a_hostile_exchange_runs_nothing_when_pasted() {
        let scratch = std::env::temp_dir().join(format!("muster-curl-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).unwrap();
        let mut hostile = Exchange::opaque_redirect(&sent("auth.fail_route"), 1);
        hostile.request.method = "GET;touch method-ran;".into();
        hostile.request.credentials =
            Credentials::Authorization("$(touch auth-ran)`touch tick-ran`".into());
        hostile.request.headers = vec![Header {
            name: "x-a".into(),
            value: "'$(touch header-ran)'".into(),
        }];
        hostile.request.url = "https://h/'; touch url-ran; '".into();
        let words = shell_words(&hostile.curl(), &scratch);
        let created: Vec<_> = std::fs::read_dir(&scratch).unwrap().flatten().collect();
        std::fs::remove_dir_all(&scratch).unwrap();
        assert!(
            created.is_empty(),
            "the pasted line ran commands: {created:?}"
        );
        assert_eq!(
            words,
            [
                "-sS",
                "-i",
                "-X",
                "GET;touch method-ran;",
                "-H",
                "X-A: '$(touch header-ran)'",
                "-H",
                "Authorization: $(touch auth-ran)`touch tick-ran`",
                "https://h/'; touch url-ran; '",
            ]
        );
        let user = Exchange::opaque_redirect(&sent("auth.fail_route"), 1);
        assert!(shell_words(&user.curl(), std::path::Path::new("/"))
            .contains(&"Authorization: Bearer T".to_owned()));
    }

    #[test]
    fn a_body_that_is_not_utf8_is_not_json_even_after_the_lossy_conversion() {
        let request = sent("auth.fail_route");
        let exchange = Exchange::response(&request, 200, [("a", "b")], b"{\"ok\": \"\xff\"}", 1);
        let response = exchange.response_seen().unwrap();
        assert_eq!(response.body, "{\"ok\": \"\u{fffd}\"}", "shown as text");
        assert!(response.body_not_utf8);
        assert_eq!(response.json(), None);
        // A body cut by the cap inside a character is still UTF-8.
        let mut long = vec![b'a'; BODY_MAX_BYTES - 1];
        long.extend_from_slice("é".as_bytes());
        let exchange = Exchange::response(&request, 200, [("a", "b")], &long, 1);
        assert!(!exchange.response_seen().unwrap().body_not_utf8);
    }

    #[test]
    fn error_types_are_read_from_both_detail_shapes() {
        let mut response = ResponseSeen {
            status: 400,
            opaque_redirect: false,
            headers: vec![],
            body: r#"{"detail":[{"msg":"x","type":"invalid_request"}]}"#.into(),
            body_truncated: false,
            body_not_utf8: false,
        };
        assert_eq!(response.error_type().as_deref(), Some("invalid_request"));
        response.body = r#"{"detail":{"msg":"x","type":"no_authorization"}}"#.into();
        assert_eq!(response.error_type().as_deref(), Some("no_authorization"));
        response.body = "<html>401</html>".into();
        assert_eq!(response.error_type(), None);
    }
}
