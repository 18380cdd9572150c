//! Notices about the person running the checks rather than the platform.

use leptos::prelude::*;

/// Not logged in: what still ran, and the way to log in.
#[component]
pub fn LoginNotice(login_url: String) -> impl IntoView {
    view! {
        <section class="panel notice" id="login-notice" aria-labelledby="login-heading">
            <h2 id="login-heading">"You are not logged in"</h2>
            <p>"The checks that need your session were skipped. The anonymous and negative \
                checks, which must work without a session, still ran below."</p>
            <p><a class="button" id="login-link" href=login_url>"Log in and run every check"</a></p>
        </section>
    }
}

/// The account lacks a scope a route needs: not the platform's fault.
#[component]
pub fn AccountNotice() -> impl IntoView {
    view! {
        <section class="panel notice" id="account-notice" aria-labelledby="account-heading">
            <h2 id="account-heading">"Your account cannot run every check"</h2>
            <p>"Some checks were skipped because your account lacks a scope the route \
                requires. That is a problem with your account, not with the platform: see \
                the skipped checks for what to ask for, or run muster-check."</p>
        </section>
    }
}
