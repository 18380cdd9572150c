//! One HTTP exchange of a probe, as recorded (already redacted): the
//! request, the response, the time it took and a copy-as-curl line.

use leptos::prelude::*;
use muster_report::probe::{Client, Exchange, Header, Received};

use super::server_checks::ServerChecks;

/// Request `number` of `count` made by a probe, and its answer. Its heading
/// is an `h4` under a checklist row's `h3`, or an `h3` when it sits
/// directly in a section (`in_section`), so that no level is skipped.
#[component]
pub fn ExchangeView(
    exchange: Exchange,
    number: usize,
    count: usize,
    #[prop(optional)] in_section: bool,
) -> impl IntoView {
    let curl = exchange.curl();
    let server_checks = exchange.route_report().map(|report| report.checks);
    let Exchange {
        request,
        received,
        elapsed_ms,
    } = exchange;
    let heading = match count {
        1 => "Request and answer".to_owned(),
        _ => format!("Request {number} of {count}"),
    };
    let heading = if in_section {
        view! { <h3>{heading}</h3> }.into_any()
    } else {
        view! { <h4>{heading}</h4> }.into_any()
    };
    let sent_headers = if request.headers.is_empty() {
        None
    } else {
        Some(view! { <HeaderList headers=request.headers /> })
    };
    let answer = match received {
        Received::Response(response) => {
            let status = response.describe();
            let body = pretty(&response.body);
            let truncated = response
                .body_truncated
                .then_some(" (cut: only the start is kept)");
            view! {
                <p class="response-status"><span class="label">"Answer: "</span>{status}
                    " in " {elapsed_ms} " ms"</p>
                <HeaderList headers=response.headers />
                {(!body.is_empty()).then(|| view! {
                    <p class="label">"Body" {truncated}</p>
                    <pre class="body"><code>{body}</code></pre>
                })}
            }
            .into_any()
        }
        Received::TransportError { message } => view! {
            <p class="response-status"><span class="label">"No answer after " {elapsed_ms}
                " ms: "</span>{message}</p>
        }
        .into_any(),
    };
    view! {
        <div class="exchange">
            {heading}
            <dl class="pairs">
                <dt>"Request"</dt><dd><code>{request.method} " " {request.url}</code></dd>
                <dt>"Credentials"</dt><dd>{request.credentials.describe(Client::Browser)}</dd>
                {sent_headers.map(|headers| view! { <dt>"Headers set"</dt><dd>{headers}</dd> })}
            </dl>
            {answer}
            {server_checks.map(|checks| view! {
                <p class="label">"Muster's server-side checks"</p>
                <ServerChecks checks />
            })}
            <p class="label">"Repeat it with curl"</p>
            <pre class="curl"><code>{curl}</code></pre>
        </div>
    }
}

/// Headers as `name: value` lines.
#[component]
fn HeaderList(headers: Vec<Header>) -> impl IntoView {
    (!headers.is_empty()).then(|| {
        view! {
            <ul class="headers">
                {headers
                    .into_iter()
                    .map(|header| view! { <li><code>{header.name} ": " {header.value}</code></li> })
                    .collect_view()}
            </ul>
        }
    })
}

/// `body` pretty-printed when it is JSON, as it came otherwise. Members
/// keep their order; only whitespace outside strings changes. (Indenting
/// the text rather than printing a parsed `Value` keeps serde_json's
/// pretty printer out of the wasm.)
fn pretty(body: &str) -> String {
    if muster_report::json_parse::parse(body).is_err() {
        return body.to_owned();
    }
    let mut out = String::with_capacity(body.len() * 2);
    let mut depth = 0_usize;
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = body.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * 2));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    chars.next();
                }
                if chars.peek().is_some_and(|&next| next == '}' || next == ']') {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}
