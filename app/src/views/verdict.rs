//! The one-line verdict above a checklist.

use leptos::prelude::*;
use muster_report::model::{Check, Status};

use super::check_row::status_words;

/// How many checks ended in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Passed.
    pub pass: usize,
    /// Warned.
    pub warn: usize,
    /// Failed.
    pub fail: usize,
    /// Skipped.
    pub skip: usize,
}

impl Tally {
    /// Counts `checks`.
    pub fn of<'a>(checks: impl IntoIterator<Item = &'a Check>) -> Tally {
        let mut tally = Tally::default();
        for check in checks {
            *match check.status {
                Status::Pass => &mut tally.pass,
                Status::Warn => &mut tally.warn,
                Status::Fail => &mut tally.fail,
                Status::Skip => &mut tally.skip,
            } += 1;
        }
        tally
    }
}

/// The verdict of a report or run whose status is `status`. With
/// `partial` (see `Run::partial`), a pass only covers the checks that could
/// run.
#[component]
pub fn Verdict(status: Status, tally: Tally, #[prop(optional)] partial: bool) -> impl IntoView {
    let (icon, _) = status_words(status);
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    let headline = match status {
        Status::Pass if partial => "No problems in the checks that could run".to_owned(),
        Status::Pass => "Passes muster".to_owned(),
        Status::Skip => "Nothing could be checked".to_owned(),
        Status::Warn | Status::Fail => match (tally.fail, tally.warn) {
            (0, warnings) => format!("Passes, with {}", plural(warnings, "warning")),
            (problems, 0) => plural(problems, "problem"),
            (problems, warnings) => {
                format!(
                    "{}, {}",
                    plural(problems, "problem"),
                    plural(warnings, "warning")
                )
            }
        },
    };
    let total = tally.pass + tally.warn + tally.fail + tally.skip;
    let detail = format!(
        "{}: {} passed, {} failed, {}, {} skipped.",
        plural(total, "check"),
        tally.pass,
        tally.fail,
        plural(tally.warn, "warning"),
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
