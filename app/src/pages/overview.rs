//! `{prefix}/`: every probe run from the browser, a verdict, the checklist
//! and the share link.

use leptos::prelude::*;
use muster_report::probe::login_url;

use crate::place::Place;
use crate::runner::Runner;
use crate::views::check_row::{CheckRow, PendingRow};
use crate::views::notices::{AccountNotice, LoginNotice};
use crate::views::share_link::ShareLink;
use crate::views::verdict::{Progress, Verdict};
use crate::{Masthead, ServiceLine};
use muster_report::probe::verdict::Tally;

/// The overview page.
#[component]
pub fn Overview(place: Place) -> impl IntoView {
    let runner = Runner::start(&place);
    let run = runner.run;
    Effect::new(move |_| {
        if run.with(Option::is_some) {
            crate::mark("__musterVerdictAt");
        }
    });
    let login = login_url(&place.origin, &place.page_url);
    let base = place.base.clone();
    let total = runner.total();
    let rows = runner.slots.with_value(|slots| {
        slots
            .iter()
            .map(|slot| {
                let (probe, result) = (slot.probe, slot.result);
                move || match result.get() {
                    Some(result) => {
                        view! { <CheckRow check=result.check exchanges=result.exchanges /> }
                            .into_any()
                    }
                    None => view! { <PendingRow probe /> }.into_any(),
                }
            })
            .collect_view()
    });
    view! {
        <Masthead>
            <ServiceLine index=runner.index />
        </Masthead>
        <main>
            // One persistent live region: screen readers announce the
            // verdict when it replaces the progress inside it, and the
            // notices that explain a partial run as soon as the first
            // probe shows one applies.
            <div class="verdict-region" aria-live="polite">
                {move || run.with(|run| match run {
                    None => view! { <Progress done=runner.done total /> }.into_any(),
                    Some(run) => view! {
                        <Verdict status=run.status tally=Tally::of(run.checks())
                            partial=run.partial() />
                    }
                    .into_any(),
                })}
                {move || {
                    runner.needs_login.get()
                        .then(|| view! { <LoginNotice login_url=login.clone() /> })
                }}
                {move || runner.lacks_scope.get().then(|| view! { <AccountNotice /> })}
            </div>
            <section class="panel checklist" aria-labelledby="checklist-heading">
                <h2 id="checklist-heading">"Checks"</h2>
                <ol class="checks">{rows}</ol>
            </section>
            {move || run.get().map(|run| view! { <ShareLink run base=base.clone() /> })}
        </main>
    }
}
