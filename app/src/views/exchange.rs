//! One HTTP exchange of a probe, as recorded (already redacted): the
//! request, the response, the time it took and a copy-as-curl line.

use leptos::prelude::*;
use muster_report::probe::{Client, Exchange, Header, Received};

use super::server_checks::ServerChecks;
use crate::pretty_json;

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
            let body = pretty_json::pretty(&response.body);
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
