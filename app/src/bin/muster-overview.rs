//! The overview page (`{prefix}/`): runs every probe from the browser. The
//! server sends this binary's shell (`index.html`) for the prefix itself.

use muster_app::pages::overview::Overview;
use muster_app::place::Place;

fn main() {
    muster_app::start(|| leptos::view! { <Overview place=Place::here() /> });
}
