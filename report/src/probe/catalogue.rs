//! The probes both clients run, in the order the overview lists them.
//! Adding a probe means adding one entry here and its judge in `judges`.

use std::borrow::Cow;

use super::judges;
use super::{Credentials, ProbeDef, ProbeRequest, Target};
use crate::description::Description;
use crate::model::{Component, Route};

const fn get(route: Route, query: &'static str, credentials: Credentials) -> ProbeRequest {
    ProbeRequest {
        method: "GET",
        target: Target::Muster(route),
        query,
        credentials,
        headers: &[],
        cli_headers: &[],
    }
}

/// The full server report (`?report=true`) of `route`, with the user's
/// credentials.
const fn report_of(route: Route) -> ProbeRequest {
    get(route, "report=true", Credentials::User)
}

/// The forged identity header sent to the anonymous route.
pub const FORGED_USER: &str = "muster-forged-user";

/// The `Cookie` the CLI sends to the anonymous route in place of a
/// browser's session cookie: the ingress must strip a `gafaelfawr` cookie
/// whatever its value, so a value that is no secret proves it as well.
pub const CLI_SESSION_COOKIE: &str = "gafaelfawr=muster-check-stand-in-for-a-session";

const ROUTE_REPORT_HINT: &str =
    "See the failing server-side check in the evidence; open this route's URL \
     (e.g. /muster/auth/fail) in a browser for its full report.";

/// Where a verdict cached for another request comes from.
const CACHE_KEY_HINT: &str =
    "The Ingress's auth-cache-key must be $request_method$http_cookie$http_authorization, as \
     Gafaelfawr's operator renders it from the GafaelfawrIngress's authCacheDuration: do not \
     override it, and upgrade Gafaelfawr if its operator writes another key.";

/// Where to look when the host's root does not serve the home page.
const HOME_PAGE_HINT: &str =
    "Squareone serves / publicly: enable it here and check its Argo CD application squareone, \
     its pods and its ingress for / (or give muster-check --home-path).";

// A `const`, not a `static`: `OUTLINES` copies what it needs from it at
// compile time, so that a page that only shows results links no judge.
const PROBES: &[ProbeDef] = &[
    ProbeDef {
        description: Description {
            id: "anonymous.credentials_stripped",
            title: "Your credentials are stripped on the anonymous route",
            proves: "A service behind an anonymous ingress receives neither your token nor your \
                     session cookie, and still answers: anonymous ingresses route and strip correctly.",
            component: Component::GafaelfawrIngress,
            hint: "The muster-anonymous GafaelfawrIngress (scopes: {anonymous: true}, path /muster or \
                   the chart's config.pathPrefix, Prefix) must exist and be processed by Gafaelfawr's operator, so that ingress-nginx \
                   calls /ingress/anonymous and copies its Authorization and Cookie headers.",
        },
        requests: &[
            ProbeRequest {
                method: "GET",
                target: Target::Muster(Route::Anonymous),
                query: "report=true",
                credentials: Credentials::User,
                headers: &[],
                cli_headers: &[("cookie", CLI_SESSION_COOKIE)],
            },
            get(Route::Anonymous, "", Credentials::User),
        ],
        in_order: false,
        repeat_last: None,
        judge: judges::anonymous::credentials_stripped,
    },
    ProbeDef {
        description: Description {
            id: "anonymous.forged_identity_masked",
            title: "A forged X-Auth-Request-User is removed",
            proves: "A client cannot impersonate someone by sending X-Auth-Request-User itself: the \
                     ingress drops it, so services can trust the header when Gafaelfawr sets it.",
            component: Component::GafaelfawrIngress,
            hint: "Keep X-Auth-Request-User in the ingress's auth-response-headers (Gafaelfawr's \
                   operator sets them on every GafaelfawrIngress, anonymous ones included).",
        },
        requests: &[ProbeRequest {
            method: "GET",
            target: Target::Muster(Route::Anonymous),
            query: "report=true",
            credentials: Credentials::None,
            headers: &[("x-auth-request-user", FORGED_USER)],
            cli_headers: &[],
        }],
        in_order: false,
        repeat_last: None,
        judge: judges::anonymous::forged_identity_masked,
    },
    ProbeDef {
        description: Description {
            id: "auth.challenge",
            title: "A request without credentials is challenged",
            proves: "An authenticated route refuses anonymous callers with 401 and a Bearer \
                     challenge, as API clients expect.",
            component: Component::GafaelfawrIngress,
            hint: "The muster-auth GafaelfawrIngress (path /muster/auth/fail under the \
                   chart's config.pathPrefix, Exact, scopes.all [config.scope]) must exist; without it the anonymous Prefix ingress serves the route.",
        },
        requests: &[get(Route::AuthFail, "", Credentials::None)],
        in_order: false,
        repeat_last: None,
        judge: judges::auth::challenge,
    },
    ProbeDef {
        description: Description {
            id: "auth.malformed_authorization",
            title: "A malformed Authorization header gets 400",
            proves: "ingress-nginx turns Gafaelfawr's error answers into the right status and body \
                     (Phalanx's @autherror location), so clients learn what they did wrong.",
            component: Component::IngressNginx,
            hint: "Add Phalanx's ingress-nginx server-snippet (location @autherror turning \
                   X-Error-Status 400/429 into the status and X-Error-Body into the body) and keep \
                   Gafaelfawr's configuration-snippet with error_page 403 = @autherror.",
        },
        requests: &[get(
            Route::AuthFail,
            "",
            Credentials::Authorization(Cow::Borrowed("Token bogus")),
        )],
        in_order: false,
        repeat_last: None,
        judge: judges::auth::malformed_authorization,
    },
    ProbeDef {
        description: Description {
            id: "auth.invalid_token",
            title: "An unknown token is rejected as invalid",
            proves: "Gafaelfawr checks tokens against its store: a well-formed token it never issued \
                     gets 401 with error=\"invalid_token\".",
            component: Component::Gafaelfawr,
            hint: "Gafaelfawr must answer an unknown token with 401 and a WWW-Authenticate challenge \
                   carrying error=\"invalid_token\"; check its logs for this request.",
        },
        requests: &[get(Route::AuthFail, "", Credentials::UnknownToken)],
        in_order: false,
        repeat_last: None,
        judge: judges::auth::invalid_token,
    },
    ProbeDef {
        description: Description {
            id: "auth.insufficient_scope",
            title: "A token without the route's scope gets 403",
            proves: "Scopes are enforced: a valid token lacking the scope the GafaelfawrIngress \
                     requires is refused with 403 insufficient_scope naming the scope.",
            component: Component::GafaelfawrIngress,
            hint: "Set scopes.all: [config.scope] on the muster-auth GafaelfawrIngress, and keep \
                   WWW-Authenticate in Phalanx's @autherror location.",
        },
        requests: &[get(Route::AuthFail, "", Credentials::NoScope)],
        in_order: false,
        repeat_last: None,
        judge: judges::auth::insufficient_scope,
    },
    ProbeDef {
        description: Description {
            id: "auth.login_redirect",
            title: "A browser without a session is sent to log in",
            proves: "With loginRedirect, people who are not logged in are redirected to Gafaelfawr's \
                     /login page instead of getting a bare 401.",
            component: Component::GafaelfawrIngress,
            hint: "Set loginRedirect: true on the muster-redirect GafaelfawrIngress; its Ingress then \
                   gets auth-signin <base URL>/login and nginx answers 302 to /login?rd=<URL>.",
        },
        requests: &[get(Route::AuthRedirect, "", Credentials::None)],
        in_order: false,
        repeat_last: None,
        judge: judges::auth::login_redirect,
    },
    ProbeDef {
        description: Description {
            id: "auth.fail_route",
            title: "The authenticated route passes Muster's checks",
            proves: "With your credentials, auth/fail reaches Muster with your username and without \
                     your token or session cookie.",
            component: Component::GafaelfawrIngress,
            hint: ROUTE_REPORT_HINT,
        },
        requests: &[report_of(Route::AuthFail)],
        in_order: false,
        repeat_last: None,
        judge: judges::reports::auth_fail,
    },
    ProbeDef {
        description: Description {
            id: "auth.redirect_route",
            title: "The login-redirect route passes Muster's checks",
            proves: "With your credentials, auth/redirect reaches Muster with your username and \
                     without your token or session cookie.",
            component: Component::GafaelfawrIngress,
            hint: ROUTE_REPORT_HINT,
        },
        requests: &[report_of(Route::AuthRedirect)],
        in_order: false,
        repeat_last: None,
        judge: judges::reports::auth_redirect,
    },
    ProbeDef {
        description: Description {
            id: "auth.cached_route",
            title: "The cached-authentication route passes Muster's checks",
            proves: "With authCacheDuration, auth/cached still reaches Muster with your username and \
                     without your token or session cookie.",
            component: Component::GafaelfawrIngress,
            hint: ROUTE_REPORT_HINT,
        },
        requests: &[report_of(Route::AuthCached)],
        in_order: false,
        repeat_last: None,
        judge: judges::reports::auth_cached,
    },
    ProbeDef {
        description: Description {
            id: "auth.cache_isolation",
            title: "The auth cache keeps each caller's verdict",
            proves: "After a cached success on auth/cached, a request without credentials (the \
                     page: without the session cookie) and one with an unknown token get 401, and \
                     an OPTIONS, with or without credentials, is not answered from a GET's entry.",
            component: Component::GafaelfawrIngress,
            hint: CACHE_KEY_HINT,
        },
        requests: &[
            get(Route::AuthCached, "", Credentials::User),
            get(Route::AuthCached, "", Credentials::None),
            get(Route::AuthCached, "", Credentials::UnknownToken),
            ProbeRequest {
                method: "OPTIONS",
                target: Target::Muster(Route::AuthCached),
                query: "",
                credentials: Credentials::None,
                headers: &[],
                cli_headers: &[],
            },
            ProbeRequest {
                method: "OPTIONS",
                target: Target::Muster(Route::AuthCached),
                query: "",
                credentials: Credentials::User,
                headers: &[],
                cli_headers: &[],
            },
        ],
        in_order: true,
        repeat_last: None,
        judge: judges::cache::isolation,
    },
    ProbeDef {
        description: Description {
            id: "auth.cache_scope",
            title: "The auth cache keeps a token's verdict",
            proves: "After a cached success on auth/cached, a token without the route's scope \
                     still gets 403.",
            component: Component::GafaelfawrIngress,
            hint: CACHE_KEY_HINT,
        },
        requests: &[
            get(Route::AuthCached, "", Credentials::User),
            get(Route::AuthCached, "", Credentials::NoScope),
        ],
        in_order: true,
        repeat_last: None,
        judge: judges::cache::scope,
    },
    ProbeDef {
        description: Description {
            id: "auth.quota",
            title: "The API rate limit is enforced",
            proves: "Gafaelfawr's API quotas work: the quota route announces its limit in \
                     X-RateLimit-* headers and answers 429 with Retry-After once the limit (one \
                     request a minute) is used.",
            component: Component::Gafaelfawr,
            hint: "Give users an API quota of 1 for the service muster-quota in Gafaelfawr \
                   (config.quota.default.api.muster-quota: 1; use the chart's config.quotaService \
                   if you changed it), set service: muster-quota on the muster-quota \
                   GafaelfawrIngress, and keep Phalanx's @autherror location, which turns the quota \
                   error into 429.",
        },
        requests: &[
            get(Route::AuthQuota, "", Credentials::User),
            get(Route::AuthQuota, "", Credentials::User),
        ],
        in_order: true,
        repeat_last: Some(judges::quota::quota_window_rolled_over),
        judge: judges::quota::quota,
    },
    ProbeDef {
        description: Description {
            id: "delegated.header_route",
            title: "Token delegation passes Muster's checks",
            proves: "Gafaelfawr delegates an internal token to Muster, and its user-info and \
                     token-info answer to that token with your identity: services can act on your \
                     behalf and look you up.",
            component: Component::GafaelfawrIngress,
            hint: ROUTE_REPORT_HINT,
        },
        requests: &[report_of(Route::DelegatedHeader)],
        in_order: false,
        repeat_last: None,
        judge: judges::reports::delegated_header,
    },
    ProbeDef {
        description: Description {
            id: "delegated.authorization_route",
            title: "Delegation in Authorization passes Muster's checks",
            proves: "With useAuthorization, the delegated token arrives as Authorization: Bearer, \
                     for services that read tokens only from there.",
            component: Component::GafaelfawrIngress,
            hint: ROUTE_REPORT_HINT,
        },
        requests: &[report_of(Route::DelegatedAuthorization)],
        in_order: false,
        repeat_last: None,
        judge: judges::reports::delegated_authorization,
    },
    ProbeDef {
        description: Description {
            id: "upstream.client_answers",
            title: "Existing clients get the answers they expect",
            proves: "Without ?report=true, the authenticated and delegated routes answer exactly as \
                     the Python Muster did — {\"username\"} from auth/fail and auth/redirect, the \
                     same user-info from both delegated routes — so mobu (Phalanx's automated \
                     monitoring client) and its Muster business keep working against this \
                     deployment.",
            component: Component::MusterConfiguration,
            hint: "Make sure this is a current Muster and that nothing between the ingress and \
                   Muster rewrites answers.",
        },
        requests: &[
            get(Route::AuthFail, "", Credentials::User),
            get(Route::AuthRedirect, "", Credentials::User),
            get(Route::DelegatedHeader, "", Credentials::User),
            get(Route::DelegatedAuthorization, "", Credentials::User),
        ],
        in_order: false,
        repeat_last: None,
        judge: judges::upstream::client_answers,
    },
    ProbeDef {
        description: Description {
            id: "vault.secret_delivered",
            title: "A secret from Vault reaches Muster",
            proves: "vault-secrets-operator delivers Muster's VaultSecret to its pod (only its \
                     length and age are shown).",
            component: Component::VaultSecrets,
            hint: "Check the VaultSecret muster and vault-secrets-operator's log; run `phalanx \
                   secrets sync` if Vault lacks vault-check.",
        },
        // Anonymous and without credentials, so that a browser without a
        // session sees this row too.
        requests: &[get(Route::Anonymous, "report=true", Credentials::None)],
        in_order: false,
        repeat_last: None,
        judge: judges::vault::secret_delivered,
    },
    ProbeDef {
        description: Description {
            id: "home.page",
            title: "The home page answers at /",
            proves: "The environment's home page (Squareone) answers at the host's root.",
            component: Component::HomePage,
            hint: HOME_PAGE_HINT,
        },
        // Without credentials, as anyone arriving at the host: Squareone's
        // page is public.
        requests: &[ProbeRequest {
            method: "GET",
            target: Target::HomePage,
            query: "",
            credentials: Credentials::None,
            headers: &[],
            cli_headers: &[],
        }],
        in_order: false,
        repeat_last: None,
        judge: judges::home_page::served,
    },
    ProbeDef {
        description: Description {
            id: crate::tls_certificate::PROBE_ID,
            title: "The host's TLS certificate is valid",
            proves: "The host's certificate is trusted, names the host and has 30 days or more \
                     left: cert-manager issues and renews it.",
            component: Component::CertManager,
            hint: "Check the host's Certificate (kubectl describe certificate), its Issuer or \
                   ClusterIssuer, and that the Ingress's tls.secretName is the Secret \
                   cert-manager writes.",
        },
        // As the Vault probe's: a browser without a session sees it too.
        requests: &[get(Route::Anonymous, "report=true", Credentials::None)],
        in_order: false,
        repeat_last: None,
        judge: judges::tls::certificate,
    },
];

/// The version of the probe list a share link pins (see
/// [`CATALOGUE_HISTORY`]): a link carries its probes as positions in the
/// list of its version, so that the opening page rebuilds titles, texts and
/// requests from its own copy.
pub const CATALOGUE_VERSION: u32 = 1;

/// The probe ids of every catalogue version so far, oldest first: entry
/// `v - 1` lists version `v`'s ids in their order. Adding, removing or
/// reordering a probe means appending the new list and bumping
/// [`CATALOGUE_VERSION`] (a unit test fails until both are done). Old lists
/// are never edited, so a link keeps decoding by the version it pinned,
/// whatever the order of today's list; a probe removed since is named as
/// such rather than guessed.
pub const CATALOGUE_HISTORY: &[&[&str]] = &[&[
    "anonymous.credentials_stripped",
    "anonymous.forged_identity_masked",
    "auth.challenge",
    "auth.malformed_authorization",
    "auth.invalid_token",
    "auth.insufficient_scope",
    "auth.login_redirect",
    "auth.fail_route",
    "auth.redirect_route",
    "auth.cached_route",
    "auth.cache_isolation",
    "auth.cache_scope",
    "auth.quota",
    "delegated.header_route",
    "delegated.authorization_route",
    "upstream.client_answers",
    "vault.secret_delivered",
    "home.page",
    "tls.certificate",
]];

/// What a reader of a probe's results rebuilds them from: its
/// description and its requests, without its judge.
#[derive(Debug, Clone, Copy)]
pub struct ProbeOutline {
    /// What the probe checks and where to look when it does not pass.
    pub description: Description,
    /// The requests it makes, in order.
    pub requests: &'static [ProbeRequest],
}

/// Every probe's outline, in catalogue order. Built at compile time from
/// `PROBES`: referring to `PROBES` itself would link every judge (the
/// share-link page, which only reads results, would grow by some 20 KB).
static OUTLINES: [ProbeOutline; PROBES.len()] = {
    let mut outlines = [ProbeOutline {
        description: PROBES[0].description,
        requests: PROBES[0].requests,
    }; PROBES.len()];
    let mut at = 1;
    while at < PROBES.len() {
        outlines[at] = ProbeOutline {
            description: PROBES[at].description,
            requests: PROBES[at].requests,
        };
        at += 1;
    }
    outlines
};

/// Every probe's outline (description and requests), in catalogue order.
pub fn outlines() -> &'static [ProbeOutline] {
    &OUTLINES
}

/// The outline of the probe with `id`.
pub fn outline(id: &str) -> Option<&'static ProbeOutline> {
    OUTLINES.iter().find(|outline| outline.description.id == id)
}

/// Every probe, in the order the overview lists them.
pub fn probes() -> &'static [ProbeDef] {
    PROBES
}

/// The probe with `id`.
pub fn probe(id: &str) -> Option<&'static ProbeDef> {
    PROBES.iter().find(|probe| probe.description.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_every_probe_makes_a_request() {
        let mut seen = HashSet::new();
        for probe in probes() {
            let id = probe.description.id;
            assert!(seen.insert(id), "duplicate {id}");
            assert!(!probe.requests.is_empty(), "{id}");
        }
    }

    /// The pin share links rely on: today's ids, in order, are the last
    /// list of the history, whose length is the version.
    #[test]
    fn the_catalogue_version_is_bumped_when_the_probes_change() {
        let ids: Vec<&str> = probes().iter().map(|probe| probe.description.id).collect();
        assert_eq!(
            CATALOGUE_HISTORY.len(),
            CATALOGUE_VERSION as usize,
            "CATALOGUE_VERSION must be the number of lists in CATALOGUE_HISTORY"
        );
        assert_eq!(
            CATALOGUE_HISTORY.last().copied(),
            Some(ids.as_slice()),
            "the probes changed: append their ids as a new list to CATALOGUE_HISTORY and bump \
             CATALOGUE_VERSION, so that share links made before keep their meaning"
        );
    }

    #[test]
    fn ids_do_not_collide_with_server_checks() {
        for check in crate::received::catalogue::SERVER_CHECKS {
            assert!(
                probe(check.description.id).is_none(),
                "{}",
                check.description.id
            );
        }
    }
}
