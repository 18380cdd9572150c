//! Muster's checklist page. Runs in the browser (wasm, built by trunk) under
//! the server's path prefix; every URL it fetches is derived from the
//! document's `<base href>`, which the server sets to the run-time prefix.
//!
//! The page only sends requests and renders: the probes, their judges, the
//! run model and the share-link codec are `muster_report`'s, so the page
//! and `muster-check` always agree on every verdict.
//!
//! Two binaries share this library, so that each page downloads only its
//! own code: `muster-overview` runs every probe (`{prefix}/`), and
//! `muster-pages` shows one route's report or a shared snapshot. The server
//! picks the shell, and so the binary, from the path.

/// The allocator of the page's wasm: talc, for single-threaded
/// WebAssembly, growing the memory as it needs.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod deflate;
pub mod fetch;
pub mod js_error;
pub mod pages;
pub mod place;
pub mod pretty_json;
pub mod runner;
pub mod stream;
pub mod views;

use leptos::prelude::*;
use leptos::task::spawn_local;
use muster_report::json_read::{Fields, FromJson};
use muster_report::received::upstream::Metadata;

/// The `id` of the line the shells show until the app starts. It is
/// painted while the wasm downloads, so the browser's first layout (and
/// its font set-up) is done by then rather than after the app's first
/// render.
const SHELL_LOADING_ID: &str = "shell-loading";

/// Starts a page: marks the clock, takes the shell's loading line away and
/// mounts `page` in the body.
pub fn start<P: IntoView + 'static>(page: impl FnOnce() -> P + 'static) {
    mark("__musterStartedAt");
    if let Some(line) = document().get_element_by_id(SHELL_LOADING_ID) {
        line.remove();
    }
    leptos::mount::mount_to_body(page);
}

/// Records the page clock (`performance.now()`, milliseconds since the
/// navigation started) in `window[name]`, for the page benchmark:
/// `__musterStartedAt` when the wasm starts, `__musterVerdictAt` when the
/// overview's verdict is rendered.
pub fn mark(name: &str) {
    if let Some(window) = web_sys::window() {
        let at = fetch::now_ms();
        let _ = js_sys::Reflect::set(&window, &name.into(), &at.into());
    }
}

/// The page header; `children` say what this page is.
#[component]
pub fn Masthead(children: Children) -> impl IntoView {
    view! {
        <header class="masthead">
            <h1>"Muster"</h1>
            <p class="tagline">"Does this Phalanx deployment pass muster?"</p>
            {children()}
        </header>
    }
}

/// What the page reads of Muster's index (`{prefix}/`): the service's
/// metadata. Its route URLs are left unread; the page derives every URL
/// from its own base.
#[derive(Clone)]
pub struct Index {
    /// Name, version and links of the server that answered.
    pub metadata: Metadata,
}

impl FromJson for Index {
    fn from_json(json: &serde_json::Value) -> Result<Self, String> {
        Ok(Index {
            metadata: Fields::of(json)?.required("metadata")?,
        })
    }
}

/// Fetches Muster's index (`{prefix}/`) for its name and version.
pub fn load_index() -> RwSignal<Option<Result<Index, String>>> {
    let index = RwSignal::new(None);
    spawn_local(async move {
        index.set(Some(fetch::get_json::<Index>("./").await));
    });
    index
}

/// Name and version of the server that answered, or why it did not.
#[component]
pub fn ServiceLine(index: RwSignal<Option<Result<Index, String>>>) -> impl IntoView {
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
