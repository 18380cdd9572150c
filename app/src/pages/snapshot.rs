//! `{prefix}/report#<payload>`: a shared run, read-only. The payload is
//! hostile until decoded (`muster_report::probe::snapshot::decode` bounds and
//! validates it); every string is rendered as text.

use leptos::prelude::*;
use muster_report::probe::snapshot::{Snapshot, SnapshotError};

use crate::place::Place;
use crate::views::check_row::CheckRow;
use crate::views::platform::{jump_in_place, part_group, part_states, picture};
use crate::views::verdict::Verdict;
use crate::Masthead;
use muster_report::platform::{group_by_part, PlatformPart};
use muster_report::probe::verdict::Tally;

/// The snapshot page.
#[component]
pub fn SnapshotPage(place: Place) -> impl IntoView {
    let decoded = RwSignal::new(None);
    let page_url = place.page_url.clone();
    leptos::task::spawn_local(async move {
        decoded.set(Some(crate::deflate::decode(&place.fragment).await));
    });
    view! {
        <Masthead>
            <p class="service">"A shared status link"</p>
        </Masthead>
        <main>{move || decoded.get().map(|decoded| body(decoded, &page_url))}</main>
    }
}

/// The decoded snapshot, or why it cannot be shown; `page_url` is the
/// page's address without the fragment.
fn body(decoded: Result<Snapshot, SnapshotError>, page_url: &str) -> AnyView {
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
            let states = part_states(
                run.checks()
                    .map(|check| (PlatformPart::of_check(check), Some(check.status))),
            );
            let states = move || states;
            let groups = group_by_part(run.probes, |result| PlatformPart::of_check(&result.check))
                .into_iter()
                .map(|group| {
                    let rows = group
                        .rows
                        .into_iter()
                        .map(|result| {
                            view! { <CheckRow check=result.check exchanges=result.exchanges /> }
                        })
                        .collect_view();
                    part_group(group.part, states, rows)
                })
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
                <div on:click=jump_in_place>{picture(states, page_url)}</div>
                <section class="panel checklist">{groups}</section>
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
