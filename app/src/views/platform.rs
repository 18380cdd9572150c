//! The platform as a request meets it: a picture of its parts above a
//! checklist, each with its worst status, and the checklist's groups, one
//! per [`PlatformPart`], headed by the same status. Both read one
//! [`PartStates`], so the picture and the headings never disagree; which
//! rows make a part is `muster_report::platform`'s to say.

use leptos::prelude::*;
use muster_report::model::Status;
use muster_report::platform::PlatformPart;
use wasm_bindgen::JsCast;

use super::status::{badge, status_words};

/// How far the checks of one part have got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartState {
    /// No row of this page belongs to the part.
    NotChecked,
    /// Some of its rows are still running.
    Running,
    /// Every row is in: the worst of them (skipped only if all were).
    Done(Status),
}

/// Every part's state, at `part as usize` (the order of
/// [`PlatformPart::ALL`]).
pub type PartStates = [PartState; PlatformPart::ALL.len()];

/// The parts' states from each row's part and status (`None` while it
/// runs).
pub fn part_states(rows: impl IntoIterator<Item = (PlatformPart, Option<Status>)>) -> PartStates {
    let mut states = [PartState::NotChecked; PlatformPart::ALL.len()];
    for (part, status) in rows {
        let state = &mut states[part as usize];
        *state = match (*state, status) {
            (PartState::Running, _) | (_, None) => PartState::Running,
            (PartState::Done(seen), Some(status)) => {
                PartState::Done(Status::of_group([seen, status]))
            }
            (PartState::NotChecked, Some(status)) => PartState::Done(status),
        };
    }
    states
}

/// The `id` of a part's group in the checklist, which the picture links to.
fn group_id(part: PlatformPart) -> String {
    format!("part-{}", part.as_str())
}

/// The state as a badge: icon and word (never colour alone), of class
/// `badge-` and a status's word, `running` or `unchecked`.
fn state_badge(state: PartState) -> impl IntoView {
    let (class, icon, word) = match state {
        PartState::Done(status) => {
            let (icon, word) = status_words(status);
            (status.as_str(), icon, word)
        }
        PartState::Running => ("running", "…", "Running"),
        PartState::NotChecked => ("unchecked", "○", "Not checked"),
    };
    badge(class, icon, word)
}

/// A click handler for a page whose address's fragment is its content
/// (a shared snapshot): a box of the picture then moves focus to its
/// group, which scrolls it into view, instead of following its link,
/// which would replace the fragment. Elsewhere the links are followed,
/// which scrolls to the group and makes it where Tab goes on from.
pub fn jump_in_place(event: web_sys::MouseEvent) {
    let link = event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .and_then(|target| target.closest(".nodes a").ok().flatten());
    let group = link
        .and_then(|link| link.get_attribute("href"))
        .and_then(|href| document().get_element_by_id(href.split_once('#')?.1));
    if let Some(group) = group {
        event.prevent_default();
        // Focusable only from here: focus is what moves Tab's starting
        // point when no link is followed.
        let _ = group.set_attribute("tabindex", "-1");
        let _ = group.unchecked_into::<web_sys::HtmlElement>().focus();
    }
}

/// The `id` of the picture's note on parts no row checks.
const NOT_CHECKED_ID: &str = "not-checked";

/// One box of the picture: its class (which places it), the part whose
/// status it shows, its name (the part's heading when empty), and how it
/// stands to the path.
type Node = (&'static str, PlatformPart, &'static str, &'static str);

/// The picture's boxes in reading order, which is also how they stack on
/// a narrow screen: the path of a request, each part beside the path
/// after the box it stands by. Argo CD shows only when it was checked.
const NODES: [Node; 9] = [
    (
        "node node-cert_manager",
        PlatformPart::CertManager,
        "",
        "TLS to the host",
    ),
    (
        "node node-ingress_nginx",
        PlatformPart::IngressNginx,
        "",
        "routes and asks Gafaelfawr",
    ),
    (
        "node node-home_page side",
        PlatformPart::HomePage,
        "",
        "↑ served by the ingress",
    ),
    (
        "node node-gafaelfawr",
        PlatformPart::Gafaelfawr,
        "",
        "authenticates",
    ),
    (
        "node node-user_directory side",
        PlatformPart::UserDirectory,
        "",
        "↑ behind Gafaelfawr",
    ),
    ("node node-muster", PlatformPart::Muster, "", "the service"),
    (
        "node node-vault side",
        PlatformPart::Vault,
        "",
        "↑ feeds Muster's secret",
    ),
    (
        "node node-gafaelfawr_api",
        PlatformPart::Gafaelfawr,
        "Gafaelfawr's API",
        "asked with the delegated token",
    ),
    (
        "node node-argo_cd side",
        PlatformPart::ArgoCd,
        "",
        "deploys every part",
    ),
];

/// The picture of the platform, its badges following `states`. Which
/// parts have rows is known when it renders (on the overview from the
/// catalogue, before any probe answers), so every box is there from the
/// start and only the badges change: nothing moves when results arrive. A
/// box whose part has rows links to their group on `page_url`. (Plain
/// functions rather than components, `states` a closure rather than a
/// memo, every box a link: each alternative cost the overview's wasm
/// hundreds of bytes.)
pub fn picture(
    states: impl Fn() -> PartStates + Copy + Send + Sync + 'static,
    page_url: &str,
) -> impl IntoView {
    let first = untrack(states);
    let nodes = NODES
        .into_iter()
        .filter_map(|(class, part, name, role)| {
            let checked = first[part as usize] != PartState::NotChecked;
            if class.ends_with("argo_cd side") && !checked {
                return None;
            }
            // Every box is a link: to its part's group, or, for a part no
            // row checks, to the note saying so.
            let target = if checked {
                group_id(part)
            } else {
                NOT_CHECKED_ID.to_owned()
            };
            let name = if name.is_empty() {
                part.heading()
            } else {
                name
            };
            Some(view! {
                <li class=class.to_owned()>
                    <a href=format!("{page_url}#{target}")>
                        <span class="node-name">{name}</span>
                        <span class="node-role">{role}</span>
                        {move || state_badge(states()[part as usize]).into_any()}
                    </a>
                </li>
            })
        })
        .collect_view();
    view! {
        <nav class="panel picture" aria-labelledby="picture-heading">
            <h2 id="picture-heading">"The platform, as a request meets it"</h2>
            <ol class="nodes">{nodes}</ol>
            <p id=NOT_CHECKED_ID>"○ Not checked: no check on this page covers that part."</p>
        </nav>
    }
}

/// A group of the checklist: the part's heading with its status, then
/// its `rows`. Its `id` is the target of the picture's link: following it
/// scrolls the group into view and makes it where Tab goes on from.
pub fn part_group(
    part: PlatformPart,
    states: impl Fn() -> PartStates + Copy + Send + Sync + 'static,
    rows: impl IntoView,
) -> impl IntoView {
    view! {
        <section class="part" id=group_id(part)>
            <h2 class="part-heading">{part.heading()} " "
                {move || state_badge(states()[part as usize]).into_any()}</h2>
            <ol class="checks">{rows}</ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_is_running_until_its_last_row_and_then_shows_its_worst() {
        use PlatformPart::*;
        let states = part_states([
            (Gafaelfawr, Some(Status::Pass)),
            (Gafaelfawr, Some(Status::Fail)),
            (Gafaelfawr, Some(Status::Skip)),
            (Vault, Some(Status::Skip)),
            (IngressNginx, Some(Status::Warn)),
            (IngressNginx, None),
            (IngressNginx, Some(Status::Fail)),
        ]);
        assert_eq!(states[Gafaelfawr as usize], PartState::Done(Status::Fail));
        assert_eq!(states[Vault as usize], PartState::Done(Status::Skip));
        assert_eq!(states[IngressNginx as usize], PartState::Running);
        assert_eq!(states[CertManager as usize], PartState::NotChecked);
        let skipped_then_passed =
            part_states([(Muster, Some(Status::Skip)), (Muster, Some(Status::Pass))]);
        assert_eq!(
            skipped_then_passed[Muster as usize],
            PartState::Done(Status::Pass)
        );
    }

    #[test]
    fn the_picture_shows_every_part() {
        for part in PlatformPart::ALL {
            assert!(
                NODES.iter().any(|(_, shown, ..)| *shown == part),
                "{part:?} is not in the picture"
            );
        }
    }
}
