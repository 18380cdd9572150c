//! `{prefix}/`: every probe run from the browser, a verdict, the picture
//! of the platform, the checklist grouped by platform part, and the share
//! link.

use leptos::prelude::*;
use muster_report::platform::PlatformPart;
use muster_report::probe::login_url;

use crate::place::Place;
use crate::runner::{Runner, Slot};
use crate::views::check_row::{CheckRow, PendingRow};
use crate::views::notices::{AccountNotice, LoginNotice};
use crate::views::platform::{part_group, part_states, picture};
use crate::views::share_link::ShareLink;
use crate::views::verdict::{Progress, Verdict};
use crate::{Masthead, ServiceLine};
use muster_report::probe::verdict::Tally;
use muster_report::probe::ProbeDef;

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
    // A row's part is its probe's, known before it runs: the groups and
    // the picture have their final shape from the start.
    let part_of = |probe: &ProbeDef| PlatformPart::of(probe.description.component);
    let slots = runner.slots;
    let states = move || {
        slots.with_value(|slots| {
            part_states(slots.iter().map(|slot| {
                let status = slot
                    .result
                    .with(|result| result.as_ref().map(|r| r.check.status));
                (part_of(slot.probe), status)
            }))
        })
    };
    // One pass over the slots per part, in `PlatformPart::ALL` order and
    // catalogue order within a part, as `group_by_part` would group them:
    // it links less code into the page than the buckets do.
    let groups = PlatformPart::ALL
        .into_iter()
        .filter_map(|part| {
            let rows = slots.with_value(|slots| {
                slots
                    .iter()
                    .filter(|slot| part_of(slot.probe) == part)
                    .map(|&Slot { probe, result }| {
                        move || match result.get() {
                            Some(result) => view! {
                                <CheckRow check=result.check exchanges=result.exchanges />
                            }
                            .into_any(),
                            None => view! { <PendingRow probe /> }.into_any(),
                        }
                    })
                    .collect::<Vec<_>>()
            });
            (!rows.is_empty()).then(|| part_group(part, states, rows))
        })
        .collect_view();
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
            {picture(states, &place.page_url)}
            <section class="panel checklist">{groups}</section>
            {move || run.get().map(|run| view! { <ShareLink run base=base.clone() /> })}
        </main>
    }
}
