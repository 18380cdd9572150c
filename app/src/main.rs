//! Muster's checklist page. Runs in the browser (wasm, built by trunk) under
//! the server's path prefix; every URL it fetches is derived from the
//! document's `<base href>`, which the server sets to the run-time prefix.
//!
//! The page only sends requests and renders: the probes, their judges, the
//! run model and the share-link codec are `muster_report`'s, so the page
//! and `muster-check` always agree on every verdict.

mod deflate;
mod fetch;
mod pages;
mod place;
mod runner;
mod views;

use leptos::prelude::*;
use leptos::task::spawn_local;
use muster_report::upstream::Metadata;
use serde::Deserialize;

use pages::overview::Overview;
use pages::route::RoutePage;
use pages::snapshot::SnapshotPage;
use place::{Page, Place};

fn main() {
    mark("__musterStartedAt");
    leptos::mount::mount_to_body(App);
}

/// Records the page clock (`performance.now()`, milliseconds since the
/// navigation started) in `window[name]`, for the page benchmark:
/// `__musterStartedAt` when the wasm starts, `__musterVerdictAt` when the
/// overview's verdict is rendered.
fn mark(name: &str) {
    if let Some(window) = web_sys::window() {
        let at = fetch::now_ms();
        let _ = js_sys::Reflect::set(&window, &name.into(), &at.into());
    }
}

/// The page the address asks for.
#[component]
fn App() -> impl IntoView {
    let place = Place::here();
    match place.page {
        Page::Overview => view! { <Overview place /> }.into_any(),
        Page::Snapshot => view! { <SnapshotPage place /> }.into_any(),
        Page::Route(route) => view! { <RoutePage place route /> }.into_any(),
        Page::Unknown => view! {
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

/// The page header; `children` say what this page is.
#[component]
fn Masthead(children: Children) -> impl IntoView {
    view! {
        <header class="masthead">
            <h1>"Muster"</h1>
            <p class="tagline">"Does this Phalanx deployment pass muster?"</p>
            {children()}
        </header>
    }
}

/// What the page reads of Muster's index (`{prefix}/`): the service's
/// metadata. Its route URLs are left unread, which keeps their serde code
/// out of the wasm; the page derives every URL from its own base.
#[derive(Clone, Deserialize)]
pub struct Index {
    /// Name, version and links of the server that answered.
    pub metadata: Metadata,
}

/// Fetches Muster's index (`{prefix}/`) for its name and version.
fn load_index() -> RwSignal<Option<Result<Index, String>>> {
    let index = RwSignal::new(None);
    spawn_local(async move {
        index.set(Some(fetch::get_json::<Index>("./").await));
    });
    index
}

/// Name and version of the server that answered, or why it did not.
#[component]
fn ServiceLine(index: RwSignal<Option<Result<Index, String>>>) -> impl IntoView {
    move || match index.get() {
        None => view! { <p class="service">"Contacting Muster…"</p> }.into_any(),
        Some(Ok(index)) => view! {
            <p class="service">
                <span id="service-name">{index.metadata.name}</span>
                " "
                <span id="service-version">{index.metadata.version}</span>
                " on "
                <span id="service-host">{web_sys::window()
                    .and_then(|window| window.location().host().ok())
                    .unwrap_or_default()}</span>
            </p>
        }
        .into_any(),
        Some(Err(error)) => view! {
            <p class="service error" role="alert">"Muster's server did not answer: " {error}</p>
        }
        .into_any(),
    }
}
