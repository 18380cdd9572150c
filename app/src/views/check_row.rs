//! One row of the checklist: what is checked, why it matters, the verdict,
//! and, expanded, the evidence and the HTTP exchanges behind it.

use leptos::prelude::*;
use muster_report::model::{Check, Evidence};
use muster_report::probe::{Exchange, ProbeDef};

use super::exchange::ExchangeView;
use super::fix_hint::FixHint;
use super::status::{badge, StatusBadge};

/// A finished check. `exchanges` are the requests a probe made (none for
/// a server-side check).
#[component]
pub fn CheckRow(check: Check, #[prop(optional)] exchanges: Vec<Exchange>) -> impl IntoView {
    let Check {
        id,
        title,
        proves,
        status,
        observed,
        evidence,
        fix,
        skip_reason: _,
    } = check;
    let details_id = format!("details-{id}");
    // Each expander is named after its check: a screen reader tabbing
    // through the list hears which check's evidence it opens.
    let names_the_check = format!(": {title}");
    let count = exchanges.len();
    let summary = match count {
        0 => "Evidence".to_owned(),
        1 => "Evidence, request and response".to_owned(),
        n => format!("Evidence and {n} requests"),
    };
    view! {
        <li class=format!("check check-{}", status.as_str()) id=format!("check-{id}")
            data-check=id.clone() data-status=status.as_str()>
            <div class="check-head">
                <StatusBadge status />
                <h3 class="check-title">{title}</h3>
            </div>
            <p class="proves">{proves}</p>
            <p class="observed"><span class="label">"Seen: "</span>{observed}</p>
            {fix.map(|fix| view! { <FixHint fix /> })}
            {(!evidence.is_empty() || count > 0).then(|| {
                // The details are built when first opened: a closed row
                // costs a summary, not its exchanges' DOM, so the
                // checklist and its verdict render sooner.
                let opened = RwSignal::new(false);
                view! {
                    <details class="check-details" id=details_id
                        on:toggle=move |_| {
                            if !opened.get_untracked() {
                                opened.set(true);
                            }
                        }>
                        <summary>
                            {summary}
                            <span class="visually-hidden">{names_the_check}</span>
                        </summary>
                        {move || opened.get().then(|| view! {
                            <EvidenceList evidence=evidence.clone() />
                            {exchanges
                                .iter()
                                .enumerate()
                                .map(|(at, exchange)| view! {
                                    <ExchangeView exchange=exchange.clone() number=at + 1 count />
                                })
                                .collect_view()}
                        })}
                    </details>
                }
            })}
        </li>
    }
}

/// A probe still running: its title and purpose, and a progress word.
#[component]
pub fn PendingRow(probe: &'static ProbeDef) -> impl IntoView {
    view! {
        <li class="check check-running" id=format!("check-{}", probe.description.id) data-check=probe.description.id
            data-status="running" aria-busy="true">
            <div class="check-head">
                {badge("running", "…", "Running")}
                <h3 class="check-title">{probe.description.title}</h3>
            </div>
            <p class="proves">{probe.description.proves}</p>
        </li>
    }
}

/// The facts behind a verdict.
#[component]
pub fn EvidenceList(evidence: Vec<Evidence>) -> impl IntoView {
    (!evidence.is_empty()).then(|| {
        view! {
            <dl class="pairs evidence">
                {evidence
                    .into_iter()
                    .map(|item| view! { <dt>{item.name}</dt><dd><code>{item.value}</code></dd> })
                    .collect_view()}
            </dl>
        }
    })
}
