//! `{prefix}/report#<payload>`: a shared run, read-only. The payload is
//! hostile until decoded (`muster_report::probe::snapshot::decode` bounds and
//! validates it); every string is rendered as text.

use leptos::prelude::*;
use muster_report::probe::snapshot::{Snapshot, SnapshotError};

use crate::place::Place;
use crate::views::check_row::CheckRow;
use crate::views::verdict::Verdict;
use crate::Masthead;
use muster_report::probe::verdict::Tally;

/// The snapshot page.
#[component]
pub fn SnapshotPage(place: Place) -> impl IntoView {
    let decoded = RwSignal::new(None);
    leptos::task::spawn_local(async move {
        decoded.set(Some(crate::deflate::decode(&place.fragment).await));
    });
    view! {
        <Masthead>
            <p class="service">"A shared status link"</p>
        </Masthead>
        <main>{move || decoded.get().map(body)}</main>
    }
}

/// The decoded snapshot, or why it cannot be shown.
fn body(decoded: Result<Snapshot, SnapshotError>) -> AnyView {
    match decoded {
        Ok(snapshot) => {
            let now = (js_sys::Date::now() / 1000.0) as u64;
            let age = snapshot.age(now);
            let identity = if snapshot.identity_included {
                "It includes the identity of whoever ran it."
            } else {
                "Username and email were left out."
            };
            let abridged = snapshot.answers_abridged.then_some(
                " To keep the link short, it carries the headers sent and the answers' \
                 headers and bodies only for checks that did not pass.",
            );
            let run = snapshot.run;
            let tally = Tally::of(run.checks());
            let partial = run.partial();
            let rows = run
                .probes
                .into_iter()
                .map(|result| view! { <CheckRow check=result.check exchanges=result.exchanges /> })
                .collect_view();
            view! {
                <section class="panel snapshot-banner" id="snapshot-banner"
                    aria-labelledby="snapshot-heading">
                    <h2 id="snapshot-heading">"Snapshot — read-only, not live"</h2>
                    <p>"These are the results of a run on "
                        <strong id="snapshot-host">{run.host}</strong>
                        " (Muster " <span id="snapshot-version">{run.muster_version}</span> "), taken "
                        <strong id="snapshot-age">{age}</strong> ". " {identity} {abridged}</p>
                    <p><a class="button" id="run-live" href="./">"Run live"</a></p>
                </section>
                <Verdict status=run.status tally partial />
                <section class="panel checklist" aria-labelledby="checklist-heading">
                    <h2 id="checklist-heading">"Checks"</h2>
                    <ol class="checks">{rows}</ol>
                </section>
            }
            .into_any()
        }
        Err(error) => view! {
            <section class="panel notice problem" id="snapshot-error" role="alert"
                aria-labelledby="snapshot-error-heading">
                <h2 id="snapshot-error-heading">"This status link cannot be shown"</h2>
                <p id="snapshot-error-text">{error.to_string()}</p>
                <p><a class="button" id="run-live" href="./">"Run the checks live"</a></p>
            </section>
        }
        .into_any(),
    }
}
