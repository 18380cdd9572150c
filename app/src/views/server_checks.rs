//! The checks of a server report that a probe's response carried, listed
//! compactly under that exchange.

use leptos::prelude::*;
use muster_report::model::Check;

use super::fix_hint::FixHint;
use super::status::StatusBadge;

/// The checks of a server report, compact (inside a probe's details).
#[component]
pub fn ServerChecks(checks: Vec<Check>) -> impl IntoView {
    view! {
        <ul class="server-checks">
            {checks
                .into_iter()
                .map(|check| {
                    view! {
                        <li data-check=check.id.clone() data-status=check.status.as_str()>
                            <StatusBadge status=check.status />
                            " "
                            <span class="server-check-title">{check.title}</span>
                            <span class="server-check-observed">{check.observed}</span>
                            {check.fix.map(|fix| view! { <FixHint fix /> })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
