//! The one-line verdict above a checklist.

use leptos::prelude::*;
use muster_report::model::Status;
use muster_report::probe::verdict::{counted, headline, Tally};

use super::status::status_words;

/// The verdict of a report or run whose status is `status`. With
/// `partial` (see `Run::partial`), a pass only covers the checks that could
/// run.
#[component]
pub fn Verdict(status: Status, tally: Tally, #[prop(optional)] partial: bool) -> impl IntoView {
    let (icon, _) = status_words(status);
    let headline = headline(status, tally, partial);
    let detail = format!(
        "{}: {} passed, {} failed, {}, {} skipped.",
        counted(tally.total(), "check"),
        tally.pass,
        tally.fail,
        counted(tally.warn, "warning"),
        tally.skip
    );
    view! {
        <section class=format!("panel verdict verdict-{}", status.as_str()) id="verdict"
            data-status=status.as_str() aria-labelledby="verdict-heading">
            <h2 id="verdict-heading">
                <span class="verdict-icon" aria-hidden="true">{icon}</span>
                " "
                <span id="verdict-text">{headline}</span>
            </h2>
            <p class="verdict-detail">{detail}</p>
        </section>
    }
}

/// The verdict area while probes run.
#[component]
pub fn Progress(done: Memo<usize>, total: usize) -> impl IntoView {
    view! {
        <section class="panel verdict verdict-running" id="verdict" data-status="running"
            aria-labelledby="verdict-heading" aria-busy="true">
            <h2 id="verdict-heading">"Running the checks…"</h2>
            <progress max=total value=move || done.get()
                aria-labelledby="verdict-heading"></progress>
            // Not announced at every step: the live region around it
            // announces the verdict.
            <p class="verdict-detail" aria-live="off">{move || done.get()} " of " {total} " done"</p>
        </section>
    }
}
