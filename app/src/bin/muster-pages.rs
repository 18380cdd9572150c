//! Every page but the overview: one route's report (`{prefix}/<route>`), a
//! shared snapshot (`{prefix}/report#<payload>`), and "no page here". The
//! server sends this binary's shell (`pages.html`) for those paths, so the
//! overview's probes and judges are not downloaded with them.

use leptos::prelude::*;
use muster_app::pages::route::RoutePage;
use muster_app::pages::snapshot::SnapshotPage;
use muster_app::place::{Page, Place};
use muster_app::Masthead;

fn main() {
    muster_app::start(App);
}

/// The page the address asks for.
#[component]
fn App() -> impl IntoView {
    let place = Place::here();
    match place.page {
        Page::Snapshot => view! { <SnapshotPage place /> }.into_any(),
        Page::Route(route) => view! { <RoutePage place route /> }.into_any(),
        // The overview has its own binary; the server never sends this
        // shell for it.
        Page::Overview | Page::Unknown => view! {
            <Masthead><p class="service">"Page not found"</p></Masthead>
            <main>
                <section class="panel notice" id="not-found">
                    <h2>"Muster has no page here"</h2>
                    <p><a class="button" href="./">"Run every check"</a></p>
                </section>
            </main>
        }
        .into_any(),
    }
}
