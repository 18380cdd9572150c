//! Muster's checklist page. Runs in the browser (wasm, built by trunk) under
//! the server's path prefix; every URL it fetches is relative to the
//! document's `<base href>`, which the server sets to the run-time prefix.

mod fetch;

use leptos::prelude::*;
use muster_report::upstream::Index;

fn main() {
    leptos::mount::mount_to_body(App);
}

/// The whole page: header, verdict area, checklist area.
#[component]
fn App() -> impl IntoView {
    let index = LocalResource::new(|| fetch::get_json::<Index>("./"));
    view! {
        <header class="masthead">
            <h1>"Muster"</h1>
            <p class="tagline">"Does this Phalanx deployment pass muster?"</p>
            <Suspense fallback=|| view! { <p class="service">"Contacting Muster…"</p> }>
                {move || index.get().map(|result| view! { <ServiceLine result /> })}
            </Suspense>
        </header>
        <main>
            <section class="verdict" aria-live="polite" aria-labelledby="verdict-heading">
                <h2 id="verdict-heading">"Verdict"</h2>
                <p>"The checks have not run yet."</p>
            </section>
            <section class="checklist" aria-labelledby="checklist-heading">
                <h2 id="checklist-heading">"Checks"</h2>
                <ol class="checks"></ol>
            </section>
        </main>
    }
}

/// Name and version of the server that answered, or why it did not.
#[component]
fn ServiceLine(result: Result<Index, String>) -> impl IntoView {
    match result {
        Ok(index) => view! {
            <p class="service">
                <span id="service-name">{index.metadata.name}</span>
                " "
                <span id="service-version">{index.metadata.version}</span>
            </p>
        }
        .into_any(),
        Err(error) => view! {
            <p class="service error" role="alert">"Muster's server did not answer: " {error}</p>
        }
        .into_any(),
    }
}
