//! The share-link snapshot codec: a [`Run`] carried in the fragment of
//! `{prefix}/report#v2.<payload>`, which never reaches a server.
//!
//! The payload is JSON, zlib-compressed (deflate), in base64url without
//! padding, after a version tag. Links are written in the second format
//! (`v2.`, see `compact`): only what the opening page cannot rebuild from
//! its catalogue, pinned to the catalogue's version, so that a passing run
//! fits in about 1,600 characters. Links of the first format (`v1.`: the
//! whole run as JSON) are still read. Before encoding, every text is
//! scrubbed of tokens again and, unless asked for, the identity (username,
//! email, full name) is replaced by `(hidden)` everywhere.
//!
//! The decoder treats its input as hostile: it bounds the payload and the
//! decompressed size, rejects unknown versions and damaged or implausible
//! data, recomputes the run's status from its checks, and scrubs tokens
//! again. It never interprets markup: whoever renders a decoded run must
//! show every string as text (Leptos text nodes, never `inner_html`).

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::probe::run::Run;
use crate::probe::{Credentials, Received};
use crate::redact;

mod compact;

/// Version tag of the payloads written now (the second format).
pub const VERSION_TAG: &str = "v2.";
/// Version tag of the first format, still read.
pub const V1_TAG: &str = "v1.";
/// The payload length the encoder aims below: it cuts, then leaves out,
/// the answers of checks that did not pass until the payload is shorter
/// (a link adds its page's address, some 40 to 60 characters).
pub const SHORT_PAYLOAD_CHARS: usize = 2_900;
/// Longest payload accepted (bytes after `#`).
pub const MAX_PAYLOAD_CHARS: usize = 64 * 1024;
/// Largest decompressed JSON accepted.
pub const MAX_DECOMPRESSED_BYTES: usize = 1024 * 1024;
/// Most probes a snapshot may hold.
pub const MAX_PROBES: usize = 64;
/// Most exchanges per probe.
pub const MAX_EXCHANGES: usize = 8;
/// Most evidence items per check.
pub const MAX_EVIDENCE: usize = 64;
/// Most headers per request or response.
pub const MAX_HEADERS: usize = 100;
/// Longest single text accepted.
pub const MAX_TEXT_CHARS: usize = 16 * 1024;
/// Longest request method a snapshot may carry (methods are ASCII
/// upper-case letters; the probes only use `GET`).
pub const MAX_METHOD_CHARS: usize = 16;
/// What identity is replaced with.
pub const HIDDEN: &str = "(hidden)";

/// A decoded share link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The run, as shared.
    pub run: Run,
    /// False when the identity was replaced by [`HIDDEN`].
    pub identity_included: bool,
    /// True when the link carried the headers sent and the answers'
    /// headers and bodies only for checks that did not pass (the second
    /// format).
    #[serde(default, skip_serializing)]
    pub answers_abridged: bool,
}

impl Snapshot {
    /// How long before `now` (Unix seconds) the run started, in words; a
    /// run more than five minutes ahead of `now` is said to be in the future.
    pub fn age(&self, now: u64) -> String {
        let ahead = self.run.started_at.saturating_sub(now);
        if ahead > FUTURE_TOLERANCE_SECONDS {
            // A wrong clock here or there, or a hand-made link: say so
            // rather than "just now".
            let (count, unit) = count_and_unit(ahead);
            let plural = if count == 1 { "" } else { "s" };
            return format!(
                "in the future ({count} {unit}{plural} ahead of this computer's clock)"
            );
        }
        describe_age(now.saturating_sub(self.run.started_at))
    }
}

/// Why a share link cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// Nothing after `#`.
    Empty,
    /// More than [`MAX_PAYLOAD_CHARS`] bytes.
    TooLong {
        /// Its length in bytes.
        bytes: usize,
    },
    /// No `v<N>.` version tag.
    NotASnapshot,
    /// A version this Muster does not know.
    UnsupportedVersion(String),
    /// It pins a newer catalogue of checks than this Muster's.
    NewerCatalogue {
        /// The catalogue version of the link.
        linked: u32,
        /// The newest this Muster knows.
        known: u32,
    },
    /// It names a check this Muster no longer has.
    RetiredCheck(String),
    /// Characters outside base64url.
    NotBase64,
    /// The compressed data is cut short or corrupted.
    Damaged,
    /// It would decompress to more than [`MAX_DECOMPRESSED_BYTES`].
    TooLargeDecompressed,
    /// The decompressed data is not a snapshot's JSON.
    InvalidJson(String),
    /// Well-formed, but with absurd counts or lengths.
    Implausible(String),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const AGAIN: &str = "ask for the link again, or run the checks live";
        match self {
            Self::Empty => write!(
                f,
                "This link carries no snapshot (nothing after #); {AGAIN}."
            ),
            Self::TooLong { bytes } => write!(
                f,
                "This snapshot is {bytes} bytes long, more than the {MAX_PAYLOAD_CHARS} bytes \
                 Muster accepts; {AGAIN}."
            ),
            Self::NotASnapshot => write!(
                f,
                "This link's fragment is not a Muster snapshot (it should start with \
                 {VERSION_TAG}); {AGAIN}."
            ),
            Self::UnsupportedVersion(version) => write!(
                f,
                "This snapshot has format {version}, which this Muster does not know (it reads \
                 {} and {}); open it with the Muster that made it, or run the checks live.",
                V1_TAG.trim_end_matches('.'),
                VERSION_TAG.trim_end_matches('.')
            ),
            Self::NewerCatalogue { linked, known } => write!(
                f,
                "This snapshot was made by a newer Muster: its list of checks is version \
                 {linked}, and this Muster knows versions up to {known}. Open it with a Muster \
                 at least as new as the one that made it, or run the checks live."
            ),
            Self::RetiredCheck(id) => write!(
                f,
                "This snapshot names the check {id}, which this Muster no longer has; open it \
                 with the Muster that made it, or run the checks live."
            ),
            Self::NotBase64 => write!(
                f,
                "This snapshot contains characters a share link never has (it was probably \
                 changed when copied); {AGAIN}."
            ),
            Self::Damaged => write!(
                f,
                "This snapshot is cut short or damaged (was the whole link copied?); {AGAIN}."
            ),
            Self::TooLargeDecompressed => write!(
                f,
                "This snapshot unpacks to more than {MAX_DECOMPRESSED_BYTES} bytes, more than \
                 any real run; {AGAIN}."
            ),
            Self::InvalidJson(why) => write!(
                f,
                "This snapshot's content is not a Muster run ({why}); {AGAIN}."
            ),
            Self::Implausible(why) => write!(
                f,
                "This snapshot's content is implausible ({why}); {AGAIN}."
            ),
        }
    }
}

impl std::error::Error for SnapshotError {}

/// The share link of `run`: `{page_base}/report#<payload>`, where
/// `page_base` is Muster's base URL (e.g. `https://host/muster`).
#[cfg(not(target_arch = "wasm32"))]
pub fn share_url(page_base: &str, run: &Run, include_identity: bool) -> String {
    share_url_of(page_base, &encode(run, include_identity))
}

/// The share link carrying `payload` (see [`encode`]).
pub fn share_url_of(page_base: &str, payload: &str) -> String {
    format!("{}/report#{payload}", page_base.trim_end_matches('/'))
}

/// The payload (the part after `#`) for `run`, in the second format: the
/// first of the [`Encoder`]'s versions that is [`short_enough`].
///
/// Native only: the browser app compresses with the browser's own
/// `CompressionStream("deflate")` (the same zlib format), driving
/// [`Encoder`] and [`payload_of`] itself, so that no deflate code is
/// linked into its wasm.
#[cfg(not(target_arch = "wasm32"))]
pub fn encode(run: &Run, include_identity: bool) -> String {
    let mut encoder = Encoder::new(run, include_identity);
    let mut payload = String::new();
    while let Some(json) = encoder.next_json() {
        payload = payload_of(&miniz_oxide::deflate::compress_to_vec_zlib(&json, 9));
        if short_enough(&payload) {
            break;
        }
    }
    payload
}

/// The steps of [`encode`] before compression: the run scrubbed of tokens
/// (and, unless asked for, of identity), as the second format's JSON, in
/// smaller versions for as long as the compressed payload is not
/// [`short_enough`].
pub struct Encoder {
    shared: Run,
    include_identity: bool,
    step: usize,
}

impl Encoder {
    /// Scrubs a copy of `run`.
    pub fn new(run: &Run, include_identity: bool) -> Self {
        let mut shared = run.clone();
        let identity = if include_identity {
            Vec::new()
        } else {
            identity_of(run)
        };
        for_each_text(&mut shared, &mut |text| {
            *text = redact::tokens_in_text(text)
        });
        if !include_identity {
            for_each_free_text(&mut shared, &mut |text| *text = hide(text, &identity));
        }
        Self {
            shared,
            include_identity,
            step: 0,
        }
    }

    /// The snapshot's JSON to compress (zlib), keeping less of the
    /// answers of checks that did not pass at each call (see
    /// `compact::DETAILS`); `None` after the last. Compress each with
    /// zlib, wrap it with [`payload_of`] and stop at the first that is
    /// [`short_enough`] (or at the last).
    pub fn next_json(&mut self) -> Option<Vec<u8>> {
        let detail = *compact::DETAILS.get(self.step)?;
        self.step += 1;
        Some(compact::write(&self.shared, self.include_identity, detail))
    }
}

/// The payload carrying `compressed`, the zlib-compressed JSON of a
/// snapshot in the second format: the version tag and base64url.
pub fn payload_of(compressed: &[u8]) -> String {
    Format::V2.payload_of(compressed)
}

/// Whether `payload` is short enough for the encoder to stop leaving
/// things out ([`SHORT_PAYLOAD_CHARS`]).
pub fn short_enough(payload: &str) -> bool {
    payload.len() <= SHORT_PAYLOAD_CHARS
}

/// The format of a payload, from its version tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `v1.`: the whole run as JSON.
    V1,
    /// `v2.`: what the catalogue cannot rebuild (see `compact`).
    V2,
}

impl Format {
    /// The payload carrying `compressed`, zlib-compressed JSON in this
    /// format (tests make first-format links with it).
    pub fn payload_of(self, compressed: &[u8]) -> String {
        let tag = match self {
            Format::V1 => V1_TAG,
            Format::V2 => VERSION_TAG,
        };
        format!("{tag}{}", URL_SAFE_NO_PAD.encode(compressed))
    }
}

/// Reads a payload (with or without the leading `#`, or a whole link).
///
/// Native only; the browser app calls [`compressed_of`], inflates with the
/// browser's `DecompressionStream("deflate")`, stopping past
/// [`MAX_DECOMPRESSED_BYTES`], and gives the result to [`from_inflated`].
#[cfg(not(target_arch = "wasm32"))]
pub fn decode(input: &str) -> Result<Snapshot, SnapshotError> {
    let (format, compressed) = compressed_of(input)?;
    let json = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(
        &compressed,
        MAX_DECOMPRESSED_BYTES,
    )
    .map_err(|error| match error.status {
        miniz_oxide::inflate::TINFLStatus::HasMoreOutput => SnapshotError::TooLargeDecompressed,
        _ => SnapshotError::Damaged,
    })?;
    from_inflated(format, &json)
}

/// The first step of [`decode`]: the format and the zlib data a payload
/// (with or without the leading `#`, or a whole link) carries, once its
/// size and version are checked. Inflate the data (zlib) to at most
/// [`MAX_DECOMPRESSED_BYTES`] (more is
/// [`SnapshotError::TooLargeDecompressed`], a failure
/// [`SnapshotError::Damaged`]) and pass the result to [`from_inflated`].
pub fn compressed_of(input: &str) -> Result<(Format, Vec<u8>), SnapshotError> {
    let payload = input.rsplit_once('#').map_or(input, |(_, after)| after);
    let payload = payload.trim();
    if payload.is_empty() {
        return Err(SnapshotError::Empty);
    }
    if payload.len() > MAX_PAYLOAD_CHARS {
        return Err(SnapshotError::TooLong {
            bytes: payload.len(),
        });
    }
    let tagged = [(V1_TAG, Format::V1), (VERSION_TAG, Format::V2)]
        .into_iter()
        .find_map(|(tag, format)| Some((format, payload.strip_prefix(tag)?)));
    let (format, data) = match tagged {
        Some(tagged) => tagged,
        None => {
            let tag = payload.split_once('.').map(|(tag, _)| tag);
            return Err(match tag {
                Some(tag)
                    if tag.len() > 1
                        && tag.len() <= 6
                        && tag.starts_with('v')
                        && tag[1..].bytes().all(|b| b.is_ascii_digit()) =>
                {
                    SnapshotError::UnsupportedVersion(tag.to_owned())
                }
                _ => SnapshotError::NotASnapshot,
            });
        }
    };
    let data = URL_SAFE_NO_PAD.decode(data).map_err(|error| match error {
        base64::DecodeError::InvalidByte(..) => SnapshotError::NotBase64,
        // A wrong length or final symbol: the link was cut.
        _ => SnapshotError::Damaged,
    })?;
    Ok((format, data))
}

/// The last step of [`decode`]: the snapshot in `json` (the inflated
/// payload, in `format`), validated, scrubbed and with its status
/// recomputed.
pub fn from_inflated(format: Format, json: &[u8]) -> Result<Snapshot, SnapshotError> {
    if json.len() > MAX_DECOMPRESSED_BYTES {
        return Err(SnapshotError::TooLargeDecompressed);
    }
    let mut snapshot = match format {
        Format::V1 => serde_json::from_slice(json).map_err(|error| {
            SnapshotError::InvalidJson(crate::text::shorten(&error.to_string()))
        })?,
        Format::V2 => compact::read(json)?,
    };
    validate(&mut snapshot.run)?;
    for_each_text(&mut snapshot.run, &mut |text| {
        *text = redact::tokens_in_text(text)
    });
    snapshot.run.status = Run::status_of(&snapshot.run.probes);
    Ok(snapshot)
}

/// `seconds` as a person says it: `just now`, `5 minutes ago`, `3 hours
/// ago`, `2 days ago`.
pub fn describe_age(seconds: u64) -> String {
    if seconds < 60 {
        return "just now".to_owned();
    }
    let (count, unit) = count_and_unit(seconds);
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural} ago")
}

/// How far a run may seem to lie ahead of the reader's clock before the
/// age says so: clocks a few minutes apart are common.
const FUTURE_TOLERANCE_SECONDS: u64 = 300;

/// `seconds` in whole seconds, minutes, hours or days.
fn count_and_unit(seconds: u64) -> (u64, &'static str) {
    match seconds {
        0..=59 => (seconds, "second"),
        60..=3599 => (seconds / 60, "minute"),
        3600..=86_399 => (seconds / 3600, "hour"),
        _ => (seconds / 86_400, "day"),
    }
}

fn validate(run: &mut Run) -> Result<(), SnapshotError> {
    let implausible = |why: String| Err(SnapshotError::Implausible(why));
    if !is_origin(&run.host) {
        return implausible("a host that is not an http(s) origin".to_owned());
    }
    if run.probes.len() > MAX_PROBES {
        return implausible(format!("{} checks", run.probes.len()));
    }
    for probe in &run.probes {
        if probe.exchanges.len() > MAX_EXCHANGES {
            return implausible(format!("{} requests in one check", probe.exchanges.len()));
        }
        if probe.check.evidence.len() > MAX_EVIDENCE {
            return implausible(format!(
                "{} evidence items in one check",
                probe.check.evidence.len()
            ));
        }
        for exchange in &probe.exchanges {
            let method = &exchange.request.method;
            if method.is_empty()
                || method.len() > MAX_METHOD_CHARS
                || !method.bytes().all(|byte| byte.is_ascii_uppercase())
            {
                return implausible("a request method that is not an HTTP method".to_owned());
            }
            let responses = match &exchange.received {
                Received::Response(response) => response.headers.len(),
                Received::TransportError { .. } => 0,
            };
            if exchange.request.headers.len().max(responses) > MAX_HEADERS {
                return implausible("too many headers".to_owned());
            }
        }
    }
    let mut longest = 0;
    for_each_text(run, &mut |text| longest = longest.max(text.len()));
    if longest > MAX_TEXT_CHARS {
        return implausible(format!("a text of {longest} bytes"));
    }
    Ok(())
}

/// True for what the page and `muster-check` record as a run's host:
/// `http://` or `https://` and a host name or address, with a port.
fn is_origin(host: &str) -> bool {
    host.strip_prefix("https://")
        .or_else(|| host.strip_prefix("http://"))
        .is_some_and(|authority| {
            !authority.is_empty()
                && authority
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_:[]".contains(c))
        })
}

/// Calls `f` on every string of `run`.
fn for_each_text(run: &mut Run, f: &mut impl FnMut(&mut String)) {
    f(&mut run.muster_version);
    f(&mut run.host);
    for probe in &mut run.probes {
        let check = &mut probe.check;
        for text in [&mut check.id, &mut check.title, &mut check.proves] {
            f(text);
        }
        for evidence in &mut check.evidence {
            f(&mut evidence.name);
        }
    }
    for_each_free_text(run, f);
}

/// Calls `f` on every string of `run` that may hold observed data (not
/// the catalogue's ids, titles and labels).
fn for_each_free_text(run: &mut Run, f: &mut impl FnMut(&mut String)) {
    for probe in &mut run.probes {
        let check = &mut probe.check;
        f(&mut check.observed);
        for evidence in &mut check.evidence {
            f(&mut evidence.value);
        }
        if let Some(fix) = &mut check.fix {
            f(&mut fix.hint);
        }
        for exchange in &mut probe.exchanges {
            let request = &mut exchange.request;
            f(&mut request.method);
            f(&mut request.url);
            if let Credentials::Authorization(value) = &mut request.credentials {
                f(value.to_mut());
            }
            for header in &mut request.headers {
                f(&mut header.name);
                f(&mut header.value);
            }
            match &mut exchange.received {
                Received::Response(response) => {
                    for header in &mut response.headers {
                        f(&mut header.name);
                        f(&mut header.value);
                    }
                    f(&mut response.body);
                }
                Received::TransportError { message } => f(message),
            }
        }
    }
}

/// Evidence names whose values identify the person who ran the checks.
const IDENTITY_EVIDENCE: &[&str] = &[
    "x-auth-request-user",
    "x-auth-request-email",
    "user-info.username",
    "user-info.email",
    "user-info.name",
    "token-info.username",
];

/// Body fields (upstream answers) that identify the person.
const IDENTITY_FIELDS: &[&str] = &["username", "email", "name"];

/// The usernames, emails and names in `run`'s evidence, in the server
/// reports among its exchanges, and in upstream answers; longest first.
fn identity_of(run: &Run) -> Vec<String> {
    let mut found = Vec::new();
    let mut from_evidence = |evidence: &[crate::model::Evidence]| {
        for item in evidence {
            if IDENTITY_EVIDENCE.contains(&item.name.to_ascii_lowercase().as_str()) {
                found.push(item.value.clone());
            }
        }
    };
    for probe in &run.probes {
        from_evidence(&probe.check.evidence);
        for exchange in &probe.exchanges {
            if let Some(report) = exchange.route_report() {
                for check in &report.checks {
                    from_evidence(&check.evidence);
                }
            }
        }
    }
    for exchange in run.probes.iter().flat_map(|probe| &probe.exchanges) {
        let Some(json) = exchange.response_seen().and_then(|r| r.json()) else {
            continue;
        };
        for field in IDENTITY_FIELDS {
            if let Some(value) = json.get(field).and_then(|v| v.as_str()) {
                found.push(value.to_owned());
            }
        }
    }
    found.retain(|value| {
        let value = value.trim();
        !value.is_empty() && !value.starts_with('(') && !value.contains('…')
    });
    longest_first(found)
}

/// `values` without repeats, longest first (equal lengths in byte order),
/// so that a longer name is hidden before a shorter one inside it. Ordered
/// by insertion: the lists are short, and a sort would link ~5 KB of code
/// into the browser app.
fn longest_first(values: Vec<String>) -> Vec<String> {
    fn rank(value: &str) -> (std::cmp::Reverse<usize>, &str) {
        (std::cmp::Reverse(value.len()), value)
    }
    let mut ordered: Vec<String> = Vec::with_capacity(values.len());
    for value in values {
        let at = ordered.iter().position(|kept| rank(kept) >= rank(&value));
        match at {
            Some(at) if ordered[at] == value => {}
            Some(at) => ordered.insert(at, value),
            None => ordered.push(value),
        }
    }
    ordered
}

/// `text` with every whole-word occurrence of an identity, and anything
/// shaped like an email address, replaced by [`HIDDEN`].
fn hide(text: &str, identity: &[String]) -> String {
    let mut out = hide_emails(text);
    for value in identity {
        out = replace_word(&out, value);
        // Bodies hold JSON, where a name may appear escaped.
        if let Ok(escaped) = serde_json::to_string(value) {
            let escaped = &escaped[1..escaped.len() - 1];
            if escaped != value {
                out = out.replace(escaped, HIDDEN);
            }
        }
    }
    out
}

/// Characters that continue a username-like word. Gafaelfawr's usernames
/// are ASCII; a name beside any other character counts as a whole word and
/// is hidden (so no Unicode tables are linked into the page for this).
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn replace_word(text: &str, word: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(word) {
        let end = start + word.len();
        let before = rest[..start].chars().next_back();
        let after = rest[end..].chars().next();
        let bounded = !before.is_some_and(is_word) && !after.is_some_and(is_word);
        out.push_str(&rest[..start]);
        out.push_str(if bounded { HIDDEN } else { word });
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn hide_emails(text: &str) -> String {
    // Any non-ASCII character may be part of an address: counting it in
    // hides more, never less.
    let is_email_char =
        |c: char| c.is_ascii_alphanumeric() || !c.is_ascii() || "._%+-@".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let looks_like_email = word.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        });
        out.push_str(if looks_like_email { HIDDEN } else { word });
        word.clear();
    };
    for c in text.chars() {
        if is_email_char(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests;
