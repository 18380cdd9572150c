//! What to do about a check that did not pass: the component to look at
//! and the hint.

use leptos::prelude::*;
use muster_report::model::Fix;

/// Which component to fix, and how.
#[component]
pub fn FixHint(fix: Fix) -> impl IntoView {
    view! {
        <div class="fix">
            <p class="fix-component">
                <span class="label">"Fix: "</span>
                "look at "
                <strong>{fix.component.name()}</strong>
            </p>
            <p class="fix-hint">{fix.hint}</p>
        </div>
    }
}
