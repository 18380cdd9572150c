//! The share link's second format (`v2.`): only what the opening page
//! cannot rebuild from its own catalogue.
//!
//! A row of the catalogue is carried as its position in the probe list of
//! the catalogue version the link pins ([`CATALOGUE_HISTORY`]), with its
//! status, observation, evidence and timings; its id, title, texts, default
//! fix and the requests it made come from the opening page's catalogue. A
//! request is carried only where it differs from the catalogue's (its
//! headers, which hold token fingerprints, always). The answers' headers
//! and bodies are carried only for checks that did not pass — a passing
//! check's evidence already says what its answers held — and, if the link
//! is still long, cut or left out (see [`DETAILS`]). Rows outside the
//! catalogue (Argo CD's) are carried in full.
//!
//! Reading treats the JSON as hostile: every count is bounded before
//! anything is built, every position is checked against its list, and a
//! link pinning a newer catalogue than this one is refused as such.

use serde::{Deserialize, Serialize};

use super::{Snapshot, SnapshotError, MAX_EVIDENCE, MAX_EXCHANGES, MAX_HEADERS, MAX_PROBES};
use crate::model::{Check, Evidence, Fix, SkipReason, Status};
use crate::probe::catalogue::{
    outline, outlines, ProbeOutline, CATALOGUE_HISTORY, CATALOGUE_VERSION,
};
use crate::probe::run::Run;
use crate::probe::{
    Client, Credentials, Exchange, Header, ProbeRequest, ProbeResult, Received, ResponseSeen,
    SentRequest,
};

/// How much of the answers of checks that did not pass a link carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail {
    /// Longest body kept, in characters; 0 leaves bodies out.
    pub body_chars: usize,
    /// Whether response headers are kept.
    pub headers: bool,
}

/// The encoder's steps, most detailed first: it stops at the first whose
/// link is short enough.
pub const DETAILS: [Detail; 4] = [
    Detail {
        body_chars: 1000,
        headers: true,
    },
    Detail {
        body_chars: 300,
        headers: true,
    },
    Detail {
        body_chars: 0,
        headers: true,
    },
    Detail {
        body_chars: 0,
        headers: false,
    },
];

/// Longest path prefix (e.g. `/muster`) a link may carry.
const MAX_PREFIX_CHARS: usize = 256;

fn is_false(value: &bool) -> bool {
    !value
}

/// A snapshot in the second format. Short field names: they are repeated
/// for every row and request, and every character counts in a link.
#[derive(Debug, Serialize, Deserialize)]
struct Wire {
    /// The catalogue version the rows' positions refer to.
    #[serde(rename = "c")]
    catalogue: u32,
    #[serde(rename = "m")]
    muster_version: String,
    #[serde(rename = "h")]
    host: String,
    /// Muster's path below the host (e.g. `/muster`): with `host`, the base
    /// the catalogue's requests are rebuilt on.
    #[serde(rename = "p", default)]
    prefix: String,
    #[serde(rename = "t")]
    started_at: u64,
    #[serde(rename = "k")]
    client: Client,
    #[serde(rename = "i", default, skip_serializing_if = "is_false")]
    identity_included: bool,
    #[serde(rename = "r", default)]
    rows: Vec<Row>,
}

/// One checklist row.
#[derive(Debug, Serialize, Deserialize)]
struct Row {
    /// Its position in the pinned catalogue; absent for a row outside it.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    position: Option<usize>,
    /// Id, title and what it proves, for a row outside the catalogue.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    described: Option<(String, String, String)>,
    /// The id of a row outside the catalogue whose title and what it
    /// proves follow from its id (an Argo CD application's).
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    named: Option<String>,
    #[serde(rename = "s")]
    status: Status,
    /// What was seen; absent when the reader rebuilds it (see
    /// [`crate::argocd::usual_observed`]).
    #[serde(rename = "o", default, skip_serializing_if = "String::is_empty")]
    observed: String,
    #[serde(rename = "e", default, skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<(String, String)>,
    /// The fix, when it is not the catalogue's default for the status (for
    /// a row outside the catalogue: the fix, if any).
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    fix: Option<Fix>,
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    exchanges: Vec<WireExchange>,
}

/// One request and its answer.
#[derive(Debug, Serialize, Deserialize)]
struct WireExchange {
    #[serde(rename = "ms", default)]
    elapsed_ms: u64,
    /// The HTTP status; absent when there was no answer (see `error`).
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(rename = "z", default, skip_serializing_if = "is_false")]
    opaque_redirect: bool,
    /// Why there was no answer.
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The headers the client set, redacted as recorded.
    #[serde(rename = "q", default, skip_serializing_if = "Vec::is_empty")]
    sent_headers: Vec<(String, String)>,
    /// Method, URL and credentials, where they differ from the catalogue's.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    credentials: Option<Credentials>,
    #[serde(rename = "H", default, skip_serializing_if = "Vec::is_empty")]
    headers: Vec<(String, String)>,
    #[serde(rename = "b", default, skip_serializing_if = "String::is_empty")]
    body: String,
    #[serde(rename = "bt", default, skip_serializing_if = "is_false")]
    body_truncated: bool,
    #[serde(rename = "bu", default, skip_serializing_if = "is_false")]
    body_not_utf8: bool,
}

/// The JSON of `run` (already scrubbed) in the second format, with the
/// answers of checks that did not pass kept to `detail`.
pub fn write(run: &Run, identity_included: bool, detail: Detail) -> Vec<u8> {
    let prefix = prefix_of(run).unwrap_or_default();
    let base = format!("{}{prefix}", run.host);
    let rows = run
        .probes
        .iter()
        .map(|result| row_of(result, &base, detail))
        .collect();
    let wire = Wire {
        catalogue: CATALOGUE_VERSION,
        muster_version: run.muster_version.clone(),
        host: run.host.clone(),
        prefix,
        started_at: run.started_at,
        client: run.client,
        identity_included,
        rows,
    };
    // Serialising plain data to JSON cannot fail.
    serde_json::to_vec(&wire).unwrap_or_default()
}

/// The snapshot in `json` (the second format), before the checks every
/// format gets (see `super::from_inflated`).
pub fn read(json: &[u8]) -> Result<Snapshot, SnapshotError> {
    read_pinned(json, CATALOGUE_HISTORY)
}

/// [`read`], against the catalogue versions in `history` (oldest first).
pub fn read_pinned(json: &[u8], history: &[&[&str]]) -> Result<Snapshot, SnapshotError> {
    let known = u32::try_from(history.len()).unwrap_or(u32::MAX);
    let wire: Wire = serde_json::from_slice(json)
        .map_err(|error| SnapshotError::InvalidJson(crate::text::shorten(&error.to_string())))?;
    let implausible = |why: String| Err(SnapshotError::Implausible(why));
    if wire.catalogue > known {
        return Err(SnapshotError::NewerCatalogue {
            linked: wire.catalogue,
            known,
        });
    }
    let Some(ids) = (wire.catalogue as usize)
        .checked_sub(1)
        .and_then(|at| history.get(at))
    else {
        return implausible(format!("catalogue version {}", wire.catalogue));
    };
    if wire.rows.len() > MAX_PROBES {
        return implausible(format!("{} checks", wire.rows.len()));
    }
    if !is_path(&wire.prefix) {
        return implausible("a path that is not a URL path".to_owned());
    }
    let base = format!("{}{}", wire.host, wire.prefix);
    let mut probes = Vec::with_capacity(wire.rows.len());
    for row in wire.rows {
        probes.push(result_of(row, ids, &base)?);
    }
    let run = Run::new(
        wire.muster_version,
        wire.host,
        wire.started_at,
        wire.client,
        probes,
    );
    Ok(Snapshot {
        run,
        identity_included: wire.identity_included,
        answers_abridged: true,
    })
}

/// Muster's path below the host, read off the first request of a
/// catalogue probe that asks Muster (not the home page).
fn prefix_of(run: &Run) -> Option<String> {
    run.probes.iter().find_map(|result| {
        let def = catalogue_probe(&result.check)?;
        let exchange = result.exchanges.first()?;
        let first = def
            .requests
            .first()
            .filter(|request| request.is_musters())?;
        let tail = first.url("");
        let url = exchange.request.url.strip_suffix(&tail)?;
        url.strip_prefix(&run.host).map(str::to_owned)
    })
}

/// The catalogue probe `check` is the verdict of, when it is exactly that
/// (its texts too: then the opening page rebuilds them).
fn catalogue_probe(check: &Check) -> Option<&'static ProbeOutline> {
    let def = outline(&check.id)?;
    let same = def.description.title == check.title && def.description.proves == check.proves;
    same.then_some(def)
}

/// The request of `def` exchange `at` was made for: one per request, and
/// the last again when the probe repeats it.
fn request_of(def: &'static ProbeOutline, at: usize) -> Option<&'static ProbeRequest> {
    def.requests.get(at).or_else(|| def.requests.last())
}

/// The fix a catalogue row gets when its link carries none.
fn default_fix(def: &ProbeOutline, status: Status) -> Option<Fix> {
    matches!(status, Status::Warn | Status::Fail).then(|| Fix {
        component: def.description.component,
        hint: def.description.hint.to_owned(),
    })
}

fn row_of(result: &ProbeResult, base: &str, detail: Detail) -> Row {
    let check = &result.check;
    let def = catalogue_probe(check);
    // Answers of a passing check, and the headers its requests sent, are
    // left out: its evidence says what they held.
    let answers = if check.status == Status::Pass {
        None
    } else {
        Some(detail)
    };
    let exchanges = result
        .exchanges
        .iter()
        .enumerate()
        .map(|(at, exchange)| {
            let request = def.and_then(|def| request_of(def, at));
            exchange_of(exchange, request, base, answers)
        })
        .collect();
    let (position, fix) = match def {
        Some(def) => {
            let position = outlines()
                .iter()
                .position(|known| known.description.id == def.description.id);
            let fix = Some(&check.fix)
                .filter(|fix| **fix != default_fix(def, check.status))
                .and_then(Clone::clone);
            (position, fix)
        }
        None => (None, check.fix.clone()),
    };
    // A row outside the catalogue carries its id, and its title and what
    // it proves unless the reader rebuilds them from the id.
    let (named, described) = match (def, crate::argocd::description_of(&check.id)) {
        (Some(_), _) => (None, None),
        (None, Some((title, proves))) if title == check.title && proves == check.proves => {
            (Some(check.id.clone()), None)
        }
        (None, _) => (
            None,
            Some((check.id.clone(), check.title.clone(), check.proves.clone())),
        ),
    };
    Row {
        position,
        named,
        described,
        status: check.status,
        observed: if crate::argocd::usual_observed(&check.id, check.status)
            == Some(check.observed.as_str())
        {
            String::new()
        } else {
            check.observed.clone()
        },
        evidence: check
            .evidence
            .iter()
            .map(|item| (item.name.clone(), item.value.clone()))
            .collect(),
        fix,
        exchanges,
    }
}

fn exchange_of(
    exchange: &Exchange,
    request: Option<&ProbeRequest>,
    base: &str,
    answers: Option<Detail>,
) -> WireExchange {
    let sent = &exchange.request;
    // Only what the catalogue's request does not say.
    let method = request
        .is_none_or(|request| request.method != sent.method)
        .then(|| sent.method.clone());
    let url = request
        .is_none_or(|request| request.url(base) != sent.url)
        .then(|| sent.url.clone());
    let credentials = request
        .is_none_or(|request| request.credentials != sent.credentials)
        .then(|| sent.credentials.clone());
    let mut wire = WireExchange {
        elapsed_ms: exchange.elapsed_ms,
        status: None,
        opaque_redirect: false,
        error: None,
        // A passing check's evidence says what its requests proved; the
        // catalogue rebuilds what was asked (method, URL, credentials).
        sent_headers: if answers.is_some() {
            pairs(&sent.headers)
        } else {
            Vec::new()
        },
        method,
        url,
        credentials,
        headers: Vec::new(),
        body: String::new(),
        body_truncated: false,
        body_not_utf8: false,
    };
    match &exchange.received {
        Received::Response(response) => {
            wire.status = Some(response.status);
            wire.opaque_redirect = response.opaque_redirect;
            if let Some(detail) = answers {
                if detail.headers {
                    wire.headers = pairs(&response.headers);
                }
                let length = response.body.chars().count();
                if length > detail.body_chars {
                    if detail.body_chars > 0 {
                        let kept: String = response.body.chars().take(detail.body_chars).collect();
                        wire.body = format!("{kept}…({length} chars)");
                    }
                    wire.body_truncated = true;
                } else {
                    wire.body = response.body.clone();
                    wire.body_truncated = response.body_truncated;
                }
                wire.body_not_utf8 = response.body_not_utf8;
            }
        }
        Received::TransportError { message } => wire.error = Some(message.clone()),
    }
    wire
}

fn pairs(headers: &[Header]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|header| (header.name.clone(), header.value.clone()))
        .collect()
}

fn headers_of(pairs: Vec<(String, String)>) -> Vec<Header> {
    pairs
        .into_iter()
        .map(|(name, value)| Header { name, value })
        .collect()
}

fn result_of(row: Row, ids: &[&str], base: &str) -> Result<ProbeResult, SnapshotError> {
    let implausible = |why: String| Err(SnapshotError::Implausible(why));
    if row.evidence.len() > MAX_EVIDENCE {
        return implausible(format!(
            "{} evidence items in one check",
            row.evidence.len()
        ));
    }
    if row.exchanges.len() > MAX_EXCHANGES {
        return implausible(format!("{} requests in one check", row.exchanges.len()));
    }
    let (def, id, title, proves) = match (row.position, row.named, row.described) {
        (Some(position), None, None) => {
            let Some(id) = ids.get(position) else {
                return implausible(format!(
                    "check number {position} of a list of {}",
                    ids.len()
                ));
            };
            let Some(def) = outline(id) else {
                return Err(SnapshotError::RetiredCheck((*id).to_owned()));
            };
            let description = &def.description;
            (
                Some(def),
                description.id.to_owned(),
                description.title.to_owned(),
                description.proves.to_owned(),
            )
        }
        (None, Some(id), None) => match crate::argocd::description_of(&id) {
            Some((title, proves)) => (None, id, title, proves.to_owned()),
            None => return implausible(format!("a check named {id:?} without its description")),
        },
        (None, None, Some((id, title, proves))) => (None, id, title, proves),
        _ => {
            return implausible(
                "a check that is not exactly one of numbered, named or described".to_owned(),
            )
        }
    };
    let fix = match def {
        Some(def) => row.fix.or_else(|| default_fix(def, row.status)),
        None => row.fix,
    };
    let mut exchanges = Vec::with_capacity(row.exchanges.len());
    for (at, wire) in row.exchanges.into_iter().enumerate() {
        let request = def.and_then(|def| request_of(def, at));
        exchanges.push(exchange_from(wire, request, base)?);
    }
    let observed = match crate::argocd::usual_observed(&id, row.status) {
        Some(text) if row.observed.is_empty() => text.to_owned(),
        _ => row.observed,
    };
    let check = Check {
        skip_reason: SkipReason::of(row.status, &observed),
        id,
        title,
        proves,
        status: row.status,
        observed,
        evidence: row
            .evidence
            .into_iter()
            .map(|(name, value)| Evidence { name, value })
            .collect(),
        fix,
    };
    Ok(ProbeResult { check, exchanges })
}

fn exchange_from(
    wire: WireExchange,
    request: Option<&ProbeRequest>,
    base: &str,
) -> Result<Exchange, SnapshotError> {
    if wire.sent_headers.len().max(wire.headers.len()) > MAX_HEADERS {
        return Err(SnapshotError::Implausible("too many headers".to_owned()));
    }
    let missing = || SnapshotError::Implausible("a request without its URL".to_owned());
    let method = match (wire.method, request) {
        (Some(method), _) => method,
        (None, Some(request)) => request.method.to_owned(),
        (None, None) => return Err(missing()),
    };
    let url = match (wire.url, request) {
        (Some(url), _) => url,
        (None, Some(request)) => request.url(base),
        (None, None) => return Err(missing()),
    };
    let credentials = match (wire.credentials, request) {
        (Some(credentials), _) => credentials,
        (None, Some(request)) => request.credentials.clone(),
        (None, None) => Credentials::None,
    };
    let received = match (wire.status, wire.error) {
        (Some(status), None) => Received::Response(ResponseSeen {
            status,
            opaque_redirect: wire.opaque_redirect,
            headers: headers_of(wire.headers),
            body: wire.body,
            body_truncated: wire.body_truncated,
            body_not_utf8: wire.body_not_utf8,
        }),
        (None, Some(message)) => Received::TransportError { message },
        _ => {
            return Err(SnapshotError::Implausible(
                "a request with both or neither of an answer and an error".to_owned(),
            ))
        }
    };
    Ok(Exchange {
        request: SentRequest {
            method,
            url,
            credentials,
            headers: headers_of(wire.sent_headers),
        },
        received,
        elapsed_ms: wire.elapsed_ms,
    })
}

/// True for an empty path or one like `/muster`: what follows a host in
/// Muster's base URL.
fn is_path(path: &str) -> bool {
    path.is_empty()
        || (path.len() <= MAX_PREFIX_CHARS
            && path.starts_with('/')
            && path
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"/-._~%".contains(&byte)))
}
