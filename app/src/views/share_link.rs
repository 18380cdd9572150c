//! "Copy status link": the run as a snapshot in a link's fragment.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use muster_report::probe::run::Run;
use muster_report::probe::snapshot::share_url_of;
use wasm_bindgen::JsCast as _;

use crate::deflate;

/// The `id` of the field that shows the link.
const LINK_ID: &str = "share-link";

/// The share link of `run`, with a toggle that leaves out the identity.
#[component]
pub fn ShareLink(run: Run, base: String) -> impl IntoView {
    let hide_identity = RwSignal::new(true);
    let run = StoredValue::new(run);
    // Encoding (JSON, deflate) waits until the verdict rendered with this
    // component is painted: an animation frame's callbacks run just before
    // its paint, so the work goes to a zero timeout set from there.
    let ready = RwSignal::new(false);
    request_animation_frame(move || set_timeout(move || ready.set(true), Duration::ZERO));
    let link = RwSignal::new(String::new());
    let copied = RwSignal::new(String::new());
    // The browser compresses asynchronously: only the latest request's
    // link is shown, however the toggle raced.
    let latest = StoredValue::new(0_u32);
    Effect::new(move |_| {
        let include = !hide_identity.get();
        if !ready.get() {
            return;
        }
        let this = latest.get_value().wrapping_add(1);
        latest.set_value(this);
        let base = base.clone();
        let run = run.get_value();
        spawn_local(async move {
            let payload = deflate::encode(&run, include).await;
            if latest.get_value() != this {
                return;
            }
            match payload {
                Ok(payload) => link.set(share_url_of(&base, &payload)),
                Err(error) => copied.set(format!("This browser could not make the link: {error}")),
            }
        });
    });
    let copy = move |_| {
        select_link();
        let text = link.get_untracked();
        spawn_local(async move {
            let message = match copy_text(&text).await {
                Ok(()) => "Copied.",
                Err(()) => "The browser would not copy: the link is selected, copy it yourself.",
            };
            copied.set(message.to_owned());
        });
    };
    view! {
        <section class="panel share" id="share" aria-labelledby="share-heading">
            <h2 id="share-heading">"Share this result"</h2>
            <p>"The link carries a redacted snapshot of this run in its fragment, which never \
                reaches a server. Anyone can open it, even without an account here."</p>
            <label class="toggle">
                <input type="checkbox" id="share-hide-identity" checked
                    on:click=move |ev| hide_identity.set(event_target_checked(&ev)) />
                " Leave out username and email"
            </label>
            <label class="field-label" for="share-link">"Status link"</label>
            <div class="share-row">
                <textarea id=LINK_ID readonly rows="3">{move || link.get()}</textarea>
                <button type="button" id="copy-share-link" on:click=copy>"Copy status link"</button>
            </div>
            <p class="copied" role="status">{move || copied.get()}</p>
        </section>
    }
}

/// Selects the link's text, so that it can be copied by hand.
fn select_link() {
    if let Some(field) = document()
        .get_element_by_id(LINK_ID)
        .and_then(|field| field.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
    {
        field.select();
    }
}

/// Copies `text` with the asynchronous clipboard API, where there is one.
async fn copy_text(text: &str) -> Result<(), ()> {
    let navigator = web_sys::window().ok_or(())?.navigator();
    let available = js_sys::Reflect::get(&navigator, &"clipboard".into())
        .map(|clipboard| !clipboard.is_undefined())
        .unwrap_or(false);
    if !available {
        return Err(());
    }
    wasm_bindgen_futures::JsFuture::from(navigator.clipboard().write_text(text))
        .await
        .map(drop)
        .map_err(drop)
}
