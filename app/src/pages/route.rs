//! `{prefix}/<route>` opened in a browser: that route's own report, fetched
//! from the same URL with `?report=true`.

use leptos::prelude::*;
use muster_report::model::{Route, RouteReport};
use muster_report::platform::{group_by_part, PlatformPart};
use muster_report::probe::{login_url, Credentials, Exchange, Prepared};

use crate::fetch;
use crate::place::Place;
use crate::views::check_row::CheckRow;
use crate::views::exchange::ExchangeView;
use crate::views::notices::LoginNotice;
use crate::views::platform::{part_group, part_states, picture};
use crate::views::verdict::Verdict;
use crate::{load_index, Masthead, ServiceLine};
use muster_report::probe::verdict::Tally;

/// The page of one route.
#[component]
pub fn RoutePage(place: Place, route: Route) -> impl IntoView {
    let request = Prepared {
        method: "GET",
        url: place.report_url(route),
        credentials: Credentials::User,
        send_cookies: true,
        headers: Vec::new(),
    };
    // The answer, with its report parsed once for the live region and the
    // checklist below it.
    let answer = RwSignal::new(None::<(Exchange, Option<RouteReport>)>);
    leptos::task::spawn_local(async move {
        let exchange = fetch::send(&request).await;
        let report = exchange.route_report();
        answer.set(Some((exchange, report)));
    });
    let login = login_url(&place.origin, &place.page_url);
    let page_url = place.page_url.clone();
    view! {
        <Masthead>
            <ServiceLine index=load_index() />
            <p class="page-kind">"The report of " <code id="route-path">{route.path()}</code>
                " alone. " <a href="./">"Run every check"</a></p>
        </Masthead>
        <main>
            // One persistent live region, as on the overview: the verdict
            // (or the login notice) is announced when it replaces the wait.
            <div class="verdict-region" aria-live="polite">
                {move || answer.with(|answer| match answer {
                    None => view! {
                        <section class="panel verdict verdict-running" id="verdict"
                            data-status="running" aria-busy="true">
                            <h2>"Asking Muster…"</h2>
                        </section>
                    }
                    .into_any(),
                    Some((_, Some(report))) => {
                        view! { <Verdict status=report.status tally=Tally::of(&report.checks) /> }
                            .into_any()
                    }
                    Some((exchange, None)) => sent_to_login(exchange)
                        .then(|| view! { <LoginNotice login_url=login.clone() /> })
                        .into_any(),
                })}
            </div>
            {move || answer.get().map(|(exchange, report)| match report {
                Some(report) => view! { <RouteChecks exchange report route page_url=page_url.clone() /> }.into_any(),
                None if sent_to_login(&exchange) => ().into_any(),
                None => view! { <NoReport exchange route /> }.into_any(),
            })}
        </main>
    }
}

/// The route answered with a redirect: to Gafaelfawr's login, for a
/// browser without a session.
fn sent_to_login(exchange: &Exchange) -> bool {
    exchange
        .response_seen()
        .is_some_and(|response| response.is_redirect())
}

/// The picture of the platform and the route's checks, grouped by
/// platform part, with the request and response they came from. The
/// picture comes with the report, which says which parts this route's
/// checks cover.
#[component]
fn RouteChecks(
    exchange: Exchange,
    report: RouteReport,
    route: Route,
    page_url: String,
) -> impl IntoView {
    let part_of = |id: &str| PlatformPart::of_server_check(id);
    let states = part_states(
        report
            .checks
            .iter()
            .map(|check| (part_of(&check.id), Some(check.status))),
    );
    let states = move || states;
    let groups = group_by_part(report.checks, |check| part_of(&check.id))
        .into_iter()
        .map(|group| {
            let rows = group
                .rows
                .into_iter()
                .map(|check| view! { <CheckRow check /> })
                .collect_view();
            part_group(group.part, states, rows)
        })
        .collect_view();
    view! {
        {picture(states, &page_url)}
        <section class="panel checklist" aria-labelledby="checklist-heading">
            <h2 id="checklist-heading">"Muster's checks of " {route.path()}</h2>
            {groups}
            <details class="check-details">
                <summary>"Request and response"</summary>
                <ExchangeView exchange number=1 count=1 in_section=true />
            </details>
        </section>
    }
}

/// Why `exchange` holds no report of `route`.
#[component]
fn NoReport(exchange: Exchange, route: Route) -> impl IntoView {
    let response = exchange.response_seen().cloned();
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
}
