//! `{prefix}/<route>` opened in a browser: that route's own report, fetched
//! from the same URL with `?report=true`.

use leptos::prelude::*;
use muster_report::model::Route;
use muster_report::probe::{login_url, Credentials, Exchange, Prepared};

use crate::fetch;
use crate::place::Place;
use crate::views::check_row::CheckRow;
use crate::views::exchange::ExchangeView;
use crate::views::notices::LoginNotice;
use crate::views::verdict::Verdict;
use crate::{load_index, Masthead, ServiceLine};
use muster_report::verdict::Tally;

/// The page of one route.
#[component]
pub fn RoutePage(place: Place, route: Route) -> impl IntoView {
    let request = Prepared {
        method: "GET",
        url: format!("{}/{}?report=true", place.base, route.path()),
        credentials: Credentials::User,
        send_cookies: true,
        headers: Vec::new(),
    };
    let exchange = RwSignal::new(None);
    leptos::task::spawn_local(async move {
        exchange.set(Some(fetch::send(&request).await));
    });
    let login = login_url(&place.origin, &place.page_url);
    view! {
        <Masthead>
            <ServiceLine index=load_index() />
            <p class="page-kind">"The report of " <code id="route-path">{route.path()}</code>
                " alone. " <a href="./">"Run every check"</a></p>
        </Masthead>
        <main>
            {move || match exchange.get() {
                None => view! {
                    <section class="panel verdict verdict-running" id="verdict" data-status="running">
                        <h2>"Asking Muster…"</h2>
                    </section>
                }
                .into_any(),
                Some(exchange) => view! {
                    <RouteReportView exchange route login_url=login.clone() />
                }
                .into_any(),
            }}
        </main>
    }
}

/// The report in `exchange`, or why there is none.
#[component]
fn RouteReportView(exchange: Exchange, route: Route, login_url: String) -> impl IntoView {
    if let Some(report) = exchange.route_report() {
        let tally = Tally::of(&report.checks);
        let rows = report
            .checks
            .into_iter()
            .map(|check| view! { <CheckRow check /> })
            .collect_view();
        return view! {
            <Verdict status=report.status tally />
            <section class="panel checklist" aria-labelledby="checklist-heading">
                <h2 id="checklist-heading">"Muster's checks of " {route.path()}</h2>
                <ol class="checks">{rows}</ol>
                <details class="check-details">
                    <summary>"Request and response"</summary>
                    <ExchangeView exchange number=1 count=1 in_section=true />
                </details>
            </section>
        }
        .into_any();
    }
    let response = exchange.response_seen().cloned();
    if response
        .as_ref()
        .is_some_and(|response| response.is_redirect())
    {
        return view! { <LoginNotice login_url /> }.into_any();
    }
    let what = match &response {
        Some(response) => format!(
            "{} answered {} instead of Muster's report.",
            route.path(),
            response.describe()
        ),
        None => format!("{} did not answer.", route.path()),
    };
    let quota = (response.as_ref().map(|response| response.status) == Some(429)).then_some(
        " This route allows one request a minute, and opening this page used it: wait a \
         minute and reload, or run every check from the overview, which counts a 429 with \
         the right headers as a pass.",
    );
    view! {
        <section class="panel notice problem" id="route-error" role="alert"
            aria-labelledby="route-error-heading">
            <h2 id="route-error-heading">"No report"</h2>
            <p>{what} {quota}</p>
            <ExchangeView exchange number=1 count=1 in_section=true />
        </section>
    }
    .into_any()
}
