//! Plain HTTP for the stack's tests: one request, redirects not followed,
//! any status returned as data rather than as an error.

use std::time::Duration;

/// A response as the tests look at it.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Response headers, names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl Reply {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.body).map_err(|e| format!("not JSON ({e}): {}", self.body))
    }
}

/// Sends `method url` with `headers` (and a JSON body if given), following
/// no redirect, within 30 seconds.
pub fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> Result<Reply, String> {
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(30))
        .build();
    let mut request = agent.request(method, url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let result = match body {
        Some(body) => request.send_json(body.clone()),
        None => request.call(),
    };
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => return Err(format!("{method} {url}: {error}")),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .iter()
        .flat_map(|name| {
            response
                .all(name)
                .into_iter()
                .map(|value| (name.to_ascii_lowercase(), value.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let body = response
        .into_string()
        .map_err(|e| format!("{method} {url}: body: {e}"))?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// `GET url` with `headers`.
pub fn get(url: &str, headers: &[(&str, &str)]) -> Result<Reply, String> {
    send("GET", url, headers, None)
}
