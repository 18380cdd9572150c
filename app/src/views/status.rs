//! A verdict's icon and word, shown together so that a status is never
//! told by colour alone.

use leptos::prelude::*;
use muster_report::model::Status;

/// The verdict of a check as an icon and a word.
#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    let (icon, word) = status_words(status);
    badge(status.as_str(), icon, word)
}

/// A badge of class `badge-{class}`: `icon` for the eye, `word` for
/// everyone.
pub fn badge(class: &'static str, icon: &'static str, word: &'static str) -> impl IntoView {
    view! {
        <span class=format!("badge badge-{class}")>
            <span class="badge-icon" aria-hidden="true">{icon}</span>
            " "
            <span class="badge-word">{word}</span>
        </span>
    }
}

/// The icon and the word for `status`.
pub fn status_words(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Pass => ("✓", "Pass"),
        Status::Warn => ("!", "Warning"),
        Status::Fail => ("✗", "Fail"),
        Status::Skip => ("–", "Skipped"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_own_icon_and_word() {
        assert_eq!(status_words(Status::Pass), ("✓", "Pass"));
        assert_eq!(status_words(Status::Warn), ("!", "Warning"));
        assert_eq!(status_words(Status::Fail), ("✗", "Fail"));
        assert_eq!(status_words(Status::Skip), ("–", "Skipped"));
        // Told apart without colour: no two statuses share an icon or a word.
        for (at, a) in Status::ALL.into_iter().enumerate() {
            for b in Status::ALL.into_iter().skip(at + 1) {
                let (a_words, b_words) = (status_words(a), status_words(b));
                assert_ne!(a_words.0, b_words.0, "{a:?} and {b:?} share an icon");
                assert_ne!(a_words.1, b_words.1, "{a:?} and {b:?} share a word");
            }
        }
    }
}
