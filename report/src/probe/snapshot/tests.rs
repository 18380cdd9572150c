use super::*;
use crate::model::{Evidence, Status};
use crate::probe::testing::*;
use crate::probe::{Client, Exchange, ProbeResult};
use serde_json::json;

/// A payload of arbitrary bytes, packed the way `encode` packs.
fn raw(json: &[u8]) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(json, 6);
    Format::V1.payload_of(&compressed)
}

fn decoded_text(snapshot: &Snapshot) -> String {
    serde_json::to_string(snapshot).unwrap()
}

#[test]
fn a_run_round_trips_through_a_link() {
    let run = healthy_run(Client::Cli);
    let url = share_url("https://data.example.org/muster/", &run, true);
    assert!(url.starts_with("https://data.example.org/muster/report#v2."));
    let snapshot = decode(&url).unwrap();
    assert!(snapshot.identity_included);
    let decoded = snapshot.run;
    assert_eq!(
        (decoded.status, &decoded.host, decoded.started_at),
        (run.status, &run.host, run.started_at)
    );
    let checks: Vec<_> = run.checks().cloned().collect();
    assert_eq!(decoded.checks().cloned().collect::<Vec<_>>(), checks);
    assert!(decoded_text_contains(&decoded, USERNAME));
}

fn decoded_text_contains(run: &Run, needle: &str) -> bool {
    serde_json::to_string(run).unwrap().contains(needle)
}

#[test]
fn identity_can_be_left_out_everywhere() {
    for client in [Client::Cli, Client::Browser] {
        let run = healthy_run(client);
        assert!(decoded_text_contains(&run, USERNAME) && decoded_text_contains(&run, EMAIL));
        let payload = encode(&run, false);
        let snapshot = decode(&payload).unwrap();
        assert!(!snapshot.identity_included);
        let text = decoded_text(&snapshot);
        for secret in [USERNAME, EMAIL, FULL_NAME, "Rachel"] {
            assert!(!text.contains(secret), "{secret} survived: {text}");
        }
        assert!(text.contains(HIDDEN));
        // The verdicts are untouched.
        assert_eq!(snapshot.run.status, Status::Pass);
        let ids: Vec<_> = snapshot.run.checks().map(|c| c.id.clone()).collect();
        assert_eq!(ids, run.checks().map(|c| c.id.clone()).collect::<Vec<_>>());
        for (identity, _) in [(USERNAME, 0), (EMAIL, 1)] {
            assert!(!payload.contains(identity));
        }
    }
}

#[test]
fn identity_is_hidden_only_as_whole_words() {
    let identity = vec!["auth".to_owned()];
    assert_eq!(
        hide("auth answered; authenticated auth-x (auth)", &identity),
        "(hidden) answered; authenticated auth-x ((hidden))"
    );
    assert_eq!(
        hide("mail: a.b+c@example.org, not@local", &[]),
        "mail: (hidden), not@local"
    );
}

#[test]
fn identities_beside_other_scripts_are_hidden_whole() {
    // A name next to a non-ASCII character is hidden, never left because
    // the neighbour might be a letter; an address with non-ASCII letters is
    // hidden whole, not from its last non-ASCII letter on.
    let identity = vec!["auth".to_owned()];
    assert_eq!(hide("éauth «auth»", &identity), "é(hidden) «(hidden)»");
    assert_eq!(hide("mail: jöhn.dœ@exämple.org.", &[]), "mail: (hidden)");
}

#[test]
fn no_secret_survives_in_the_payload_or_the_decoded_run() {
    let mut run = healthy_run(Client::Cli);
    // A careless judge or server that echoes the raw token everywhere.
    let sent = prepared("auth.fail_route", Client::Cli);
    let echo = Exchange::response(
        &sent[0],
        500,
        [("x-echo", USER_TOKEN)],
        USER_TOKEN.as_bytes(),
        1,
    );
    run.probes[0].exchanges.push(echo);
    // Answers travel only for checks that did not pass.
    run.probes[0].check.status = Status::Fail;
    run.probes[0].check.observed = format!("saw {USER_TOKEN}");
    run.probes[0]
        .check
        .evidence
        .push(Evidence::new("leak", NO_SCOPE_TOKEN));
    let secret_halves = [&USER_TOKEN[26..], &NO_SCOPE_TOKEN[26..]];
    for include_identity in [true, false] {
        let payload = encode(&run, include_identity);
        let bytes = URL_SAFE_NO_PAD
            .decode(&payload[VERSION_TAG.len()..])
            .unwrap();
        let json = miniz_oxide::inflate::decompress_to_vec_zlib(&bytes).unwrap();
        let json = String::from_utf8(json).unwrap();
        let decoded = decoded_text(&decode(&payload).unwrap());
        for half in secret_halves {
            assert!(!json.contains(half), "{half} in payload");
            assert!(!decoded.contains(half), "{half} decoded");
        }
    }
}

#[test]
fn hostile_inputs_are_rejected_with_their_reason() {
    let good = encode(&healthy_run(Client::Browser), true);
    let cases: Vec<(String, SnapshotError)> = vec![
        (String::new(), SnapshotError::Empty),
        ("#".into(), SnapshotError::Empty),
        (
            format!("v1.{}", "A".repeat(MAX_PAYLOAD_CHARS)),
            SnapshotError::TooLong {
                bytes: MAX_PAYLOAD_CHARS + 3,
            },
        ),
        ("hello".into(), SnapshotError::NotASnapshot),
        (
            "<script>alert(1)</script>".into(),
            SnapshotError::NotASnapshot,
        ),
        (
            good.replacen("v2.", "v9.", 1),
            SnapshotError::UnsupportedVersion("v9".into()),
        ),
        (format!("{good}%3C"), SnapshotError::NotBase64),
        (good[..good.len() / 2].to_owned(), SnapshotError::Damaged),
        (
            good[..good.len() / 2 + 1].to_owned(),
            SnapshotError::Damaged,
        ),
        (good[..good.len() - 1].to_owned(), SnapshotError::Damaged),
        ("v1.AAAA".into(), SnapshotError::Damaged),
        ("v2.AAAA".into(), SnapshotError::Damaged),
        (
            raw(&vec![b' '; MAX_DECOMPRESSED_BYTES + 1]),
            SnapshotError::TooLargeDecompressed,
        ),
    ];
    for (input, expected) in cases {
        let shown = &input[..input.len().min(40)];
        assert_eq!(decode(&input).unwrap_err(), expected, "{shown}");
        assert!(!expected.to_string().is_empty());
    }
}

#[test]
fn a_link_too_long_is_measured_in_bytes_like_the_limit() {
    // `é` is two bytes: this payload is over the limit in bytes and under
    // it in characters, so a count of characters would contradict the limit.
    let payload = format!("v1.{}", "é".repeat(MAX_PAYLOAD_CHARS / 2 + 1));
    let bytes = payload.len();
    assert!(bytes > MAX_PAYLOAD_CHARS && payload.chars().count() < MAX_PAYLOAD_CHARS);
    let message = decode(&payload).unwrap_err().to_string();
    assert!(
        message.starts_with(&format!(
            "This snapshot is {bytes} bytes long, more than the {MAX_PAYLOAD_CHARS} bytes"
        )),
        "{message}"
    );
}

#[test]
fn garbled_payloads_never_decode_to_something_else() {
    let good = encode(&healthy_run(Client::Cli), true);
    let middle = good.len() / 2;
    for replacement in ["A", "z", "-", "_"] {
        let mut garbled = good.clone();
        if garbled[middle..=middle] == *replacement {
            continue;
        }
        garbled.replace_range(middle..=middle, replacement);
        let error = decode(&garbled).unwrap_err();
        assert!(
            matches!(
                error,
                SnapshotError::Damaged | SnapshotError::InvalidJson(_)
            ),
            "{error:?}"
        );
    }
}

#[test]
fn invalid_json_and_implausible_content_are_rejected() {
    assert!(matches!(
        decode(&raw(b"not json")),
        Err(SnapshotError::InvalidJson(_))
    ));
    assert!(matches!(
        decode(&raw(br#"{"run":{"host":"x"},"identity_included":true}"#)),
        Err(SnapshotError::InvalidJson(_))
    ));
    let mut run = healthy_run(Client::Cli);
    let first = run.probes[0].clone();
    run.probes = vec![first; MAX_PROBES + 1];
    let many = serde_json::to_vec(&Snapshot {
        run,
        identity_included: true,
        answers_abridged: false,
    })
    .unwrap();
    let error = decode(&raw(&many)).unwrap_err();
    assert!(matches!(error, SnapshotError::Implausible(_)), "{error:?}");
    assert!(error.to_string().contains("65 checks"), "{error}");
    let mut run = healthy_run(Client::Cli);
    run.probes[0].check.observed = "x".repeat(MAX_TEXT_CHARS + 1);
    let long = serde_json::to_vec(&Snapshot {
        run,
        identity_included: true,
        answers_abridged: false,
    })
    .unwrap();
    assert!(matches!(
        decode(&raw(&long)),
        Err(SnapshotError::Implausible(_))
    ));
    for host in [
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "https://",
        "",
    ] {
        let mut run = healthy_run(Client::Cli);
        run.host = host.into();
        let odd = serde_json::to_vec(&Snapshot {
            run,
            identity_included: true,
            answers_abridged: false,
        })
        .unwrap();
        let error = decode(&raw(&odd)).unwrap_err();
        assert!(error.to_string().contains("host"), "{host}: {error}");
    }
    for method in ["", "GET;touch x", "get", "PROPFINDPROPFINDPROPFIND"] {
        let mut run = healthy_run(Client::Cli);
        let exchange = run
            .probes
            .iter_mut()
            .find_map(|probe| probe.exchanges.first_mut())
            .unwrap();
        exchange.request.method = method.into();
        let odd = serde_json::to_vec(&Snapshot {
            run,
            identity_included: true,
            answers_abridged: false,
        })
        .unwrap();
        let error = decode(&raw(&odd)).unwrap_err();
        assert!(
            error.to_string().contains("request method"),
            "{method}: {error}"
        );
    }
}

#[test]
fn a_tampered_status_is_recomputed_and_markup_stays_text() {
    let mut run = healthy_run(Client::Cli);
    run.probes[2].check.status = Status::Fail;
    run.probes[2].check.observed = "<img src=x onerror=alert(1)>".into();
    run.status = Status::Pass;
    let tampered = serde_json::to_vec(&Snapshot {
        run,
        identity_included: true,
        answers_abridged: false,
    })
    .unwrap();
    let snapshot = decode(&raw(&tampered)).unwrap();
    assert_eq!(snapshot.run.status, Status::Fail);
    assert_eq!(
        snapshot.run.probes[2].check.observed,
        "<img src=x onerror=alert(1)>"
    );
}

#[test]
fn oversized_runs_still_make_a_link_that_decodes() {
    let mut run = healthy_run(Client::Cli);
    // Incompressible bodies in every exchange, all of them carried.
    let mut seed = 7u64;
    for probe in &mut run.probes {
        probe.check.status = Status::Fail;
    }
    for exchange in run.probes.iter_mut().flat_map(|p| &mut p.exchanges) {
        if let Received::Response(response) = &mut exchange.received {
            response.body = (0..6000)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    char::from(b'!' + (seed >> 58) as u8)
                })
                .collect();
        }
    }
    let payload = encode(&run, true);
    assert!(short_enough(&payload), "{}", payload.len());
    assert_eq!(decode(&payload).unwrap().run.status, Status::Fail);
}

#[test]
fn links_of_passing_runs_are_under_two_thousand_characters() {
    for client in [Client::Cli, Client::Browser] {
        let run = healthy_run(client);
        let url = share_url("https://data.example.org/muster", &run, false);
        println!(
            "{client:?}: share link of a full healthy run: {} characters",
            url.len()
        );
        assert!(url.len() <= 2000, "{}", url.len());
    }
}

#[test]
fn ages_are_described_in_words() {
    assert_eq!(describe_age(5), "just now");
    assert_eq!(describe_age(60), "1 minute ago");
    assert_eq!(describe_age(7200), "2 hours ago");
    assert_eq!(describe_age(3 * 86_400 + 5), "3 days ago");
    let snapshot = decode(&encode(&healthy_run(Client::Cli), true)).unwrap();
    let started = snapshot.run.started_at;
    assert_eq!(snapshot.age(started + 300), "5 minutes ago");
    assert_eq!(snapshot.age(started - 100), "just now");
    assert_eq!(
        snapshot.age(started - 2 * 3600),
        "in the future (2 hours ahead of this computer's clock)"
    );
}

/// The browser app runs `encode` and `decode` in steps around the
/// browser's own zlib streams: the steps make and read the same payloads.
#[test]
fn the_steps_the_browser_drives_match_encode_and_decode() {
    let run = healthy_run(Client::Browser);
    let json = Encoder::new(&run, false).next_json().unwrap();
    let payload = payload_of(&miniz_oxide::deflate::compress_to_vec_zlib(&json, 9));
    assert_eq!(payload, encode(&run, false));
    assert!(short_enough(&payload));
    let (format, compressed) =
        compressed_of(&format!("https://h/muster/report#{payload}")).unwrap();
    assert_eq!(format, Format::V2);
    let inflated = miniz_oxide::inflate::decompress_to_vec_zlib(&compressed).unwrap();
    assert_eq!(
        from_inflated(format, &inflated).unwrap(),
        decode(&payload).unwrap()
    );
    for format in [Format::V1, Format::V2] {
        assert_eq!(
            from_inflated(format, &vec![b' '; MAX_DECOMPRESSED_BYTES + 1]),
            Err(SnapshotError::TooLargeDecompressed)
        );
    }
    // Less of the failing checks' answers each time, then done.
    let mut failing = run.clone();
    for probe in &mut failing.probes {
        probe.check.status = Status::Fail;
    }
    let mut encoder = Encoder::new(&failing, true);
    let sizes: Vec<usize> = std::iter::from_fn(|| encoder.next_json().map(|j| j.len())).collect();
    assert_eq!(sizes.len(), 4);
    assert!(
        sizes[0] > sizes[1] && sizes[1] > sizes[2] && sizes[2] > sizes[3],
        "{sizes:?}"
    );
}

/// `Received` is read without serde's buffering, in the same JSON shape.
#[test]
fn received_keeps_its_json_shape() {
    let response: Received =
        serde_json::from_str(r#"{"status":200,"kind":"response","body":"x"}"#).unwrap();
    assert!(
        matches!(&response, Received::Response(seen) if seen.status == 200 && seen.body == "x")
    );
    let json = serde_json::to_string(&response).unwrap();
    assert!(
        json.starts_with(r#"{"kind":"response","status":200"#),
        "{json}"
    );
    let error: Received =
        serde_json::from_str(r#"{"kind":"transport_error","message":"refused"}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&error).unwrap(),
        r#"{"kind":"transport_error","message":"refused"}"#
    );
    for bad in [
        r#"{"kind":"response"}"#,
        r#"{"kind":"transport_error"}"#,
        r#"{"status":200}"#,
        r#"{"kind":"other","status":200}"#,
    ] {
        assert!(serde_json::from_str::<Received>(bad).is_err(), "{bad}");
    }
}

#[test]
fn identities_are_hidden_longest_first_without_repeats() {
    let found = ["al", "alice", "bob", "alice", "alicia"].map(str::to_owned);
    assert_eq!(
        longest_first(found.to_vec()),
        ["alicia", "alice", "bob", "al"]
    );
}

#[test]
fn a_link_carrying_only_the_sentence_still_asks_for_login() {
    // A link carries a skip's sentence, not its reason (as links made
    // before the reason existed did): decoding recognises the reason.
    let sent = prepared("auth.fail_route", Client::Browser);
    let exchange = Exchange::opaque_redirect(&sent[0], 3);
    let result = judge("auth.fail_route", vec![exchange], Client::Browser);
    let run = Run::new("1", "https://h", 0, Client::Browser, vec![result]);
    let snapshot = Snapshot {
        run: run.clone(),
        identity_included: false,
        answers_abridged: false,
    };
    let json = serde_json::to_vec(&snapshot).unwrap();
    assert!(!String::from_utf8_lossy(&json).contains("skip_reason"));
    assert!(decode(&raw(&json)).unwrap().run.needs_login());
    let url = share_url("https://h/muster/", &run, false);
    assert!(decode(&url).unwrap().run.needs_login());
}

/// A second-format payload of arbitrary JSON.
fn raw_v2(json: &[u8]) -> String {
    payload_of(&miniz_oxide::deflate::compress_to_vec_zlib(json, 6))
}

/// The second format's JSON a link carries.
fn carried(payload: &str) -> serde_json::Value {
    let (format, compressed) = compressed_of(payload).unwrap();
    assert_eq!(format, Format::V2);
    let json = miniz_oxide::inflate::decompress_to_vec_zlib(&compressed).unwrap();
    serde_json::from_slice(&json).unwrap()
}

/// A first-format link made by `muster-check` before the second format
/// existed (a healthy run of the local stack) opens exactly as it did:
/// the fixture's decoding was written by that code.
#[test]
fn a_first_format_link_opens_exactly_as_before() {
    let link = include_str!("fixtures/v1-cli-healthy.link").trim();
    assert!(link.contains("/report#v1."));
    let snapshot = decode(link).unwrap();
    assert!(!snapshot.answers_abridged);
    let shown = serde_json::to_string_pretty(&snapshot).unwrap() + "\n";
    assert_eq!(shown, include_str!("fixtures/v1-cli-healthy.decoded.json"));
}

#[test]
fn the_second_format_keeps_every_check_and_every_request() {
    for client in [Client::Cli, Client::Browser] {
        let mut run = healthy_run(client);
        // One failing check, whose answers travel whole.
        run.probes[3].check.status = Status::Fail;
        run.probes[3].check.fix = Some(crate::model::Fix {
            component: crate::model::Component::IngressNginx,
            hint: "a hint of the judge's own".into(),
        });
        let snapshot = decode(&encode(&run, true)).unwrap();
        assert!(snapshot.answers_abridged && snapshot.identity_included);
        let decoded = snapshot.run;
        assert_eq!(
            (&decoded.host, decoded.started_at, &decoded.muster_version),
            (&run.host, run.started_at, &run.muster_version)
        );
        assert_eq!((decoded.client, decoded.status), (client, Status::Fail));
        assert_eq!(decoded.probes.len(), run.probes.len());
        for (shared, original) in decoded.probes.iter().zip(&run.probes) {
            assert_eq!(shared.check, original.check);
            assert_eq!(shared.exchanges.len(), original.exchanges.len());
            let passed = original.check.status == Status::Pass;
            for (shared, original) in shared.exchanges.iter().zip(&original.exchanges) {
                // As every link does, the encoder scrubbed token shapes
                // (the public unknown token's too); a passing check's
                // requests travel without their headers.
                let mut request = original.request.clone();
                for header in &mut request.headers {
                    header.value = redact::tokens_in_text(&header.value);
                }
                if passed {
                    request.headers.clear();
                }
                assert_eq!(shared.request, request, "{}", request.url);
                assert_eq!(shared.elapsed_ms, original.elapsed_ms);
                let seen = |exchange: &Exchange| {
                    exchange
                        .response_seen()
                        .map(|seen| (seen.status, seen.opaque_redirect))
                };
                assert_eq!(seen(shared), seen(original));
            }
        }
        // The failing check's requests and answers are whole; a passing
        // one's headers are not carried (its evidence says what they held).
        assert_eq!(decoded.probes[3].exchanges, run.probes[3].exchanges);
        let passing = decoded.probes[0].exchanges[0].response_seen().unwrap();
        assert!(passing.headers.is_empty() && passing.body.is_empty());
        // What the catalogue says is not in the link.
        let json = carried(&encode(&run, true)).to_string();
        for text in [&run.probes[0].check.title, &run.probes[0].check.proves] {
            assert!(!json.contains(text.as_str()), "{text}");
        }
    }
}

#[test]
fn checks_outside_the_catalogue_travel_whole() {
    let mut run = healthy_run(Client::Cli);
    let mut extra = run.probes[0].clone();
    extra.check.id = "argocd".into();
    extra.check.title = "<b>Argo CD</b>".into();
    extra.check.status = Status::Warn;
    run.probes.push(extra.clone());
    // A catalogue id whose texts differ is not rebuilt from the catalogue.
    run.probes[1].check.title = "another title".into();
    let decoded = decode(&encode(&run, true)).unwrap().run;
    let shared = decoded.probes.last().unwrap();
    assert_eq!(shared.check, extra.check);
    // Its requests, which no catalogue rebuilds, and its answers (it did
    // not pass), the long body cut.
    for (shared, original) in shared.exchanges.iter().zip(&extra.exchanges) {
        assert_eq!(shared.request, original.request);
        let (shared, original) = (shared.response_seen(), original.response_seen());
        assert_eq!(shared.map(|s| &s.headers), original.map(|o| &o.headers));
        let body = &shared.unwrap().body;
        assert!(original
            .unwrap()
            .body
            .starts_with(body.split('…').next().unwrap()));
    }
    assert_eq!(shared.exchanges.len(), extra.exchanges.len());
    assert_eq!(decoded.probes[1].check, run.probes[1].check);
}

#[test]
fn argo_cd_rows_travel_by_their_id_alone() {
    let mut run = healthy_run(Client::Cli);
    let listed = json!({"items": [{
        "metadata": {"name": "gafaelfawr"},
        "status": {"health": {"status": "Healthy"}, "sync": {"status": "Synced"}},
    }]});
    let apps = crate::argocd::parse_list(listed.to_string().as_bytes()).unwrap();
    let rows = [
        crate::argocd::not_checked("Argo CD was not checked (--argocd off)."),
        crate::argocd::not_checked(crate::argocd::NOT_CONFIGURED),
        crate::argocd::judge(&apps[0], None),
    ];
    for check in &rows {
        run.probes.push(ProbeResult {
            check: check.clone(),
            exchanges: Vec::new(),
        });
    }
    let json = carried(&encode(&run, true)).to_string();
    for check in &rows {
        assert!(!json.contains(&check.title), "{}", check.title);
        assert!(!json.contains(&check.proves), "{}", check.proves);
    }
    // The usual skip reason is rebuilt too; another one travels.
    assert!(!json.contains("give --argocd-url"), "{json}");
    assert!(json.contains("--argocd off"), "{json}");
    let decoded = decode(&encode(&run, true)).unwrap().run;
    assert_eq!(
        decoded.probes[decoded.probes.len() - 3..]
            .iter()
            .map(|p| &p.check)
            .collect::<Vec<_>>(),
        rows.iter().collect::<Vec<_>>()
    );
}

#[test]
fn a_link_from_a_newer_catalogue_says_so() {
    let mut wire = carried(&encode(&healthy_run(Client::Cli), true));
    let newer = crate::probe::catalogue::CATALOGUE_VERSION + 1;
    wire["c"] = newer.into();
    let error = decode(&raw_v2(wire.to_string().as_bytes())).unwrap_err();
    assert_eq!(
        error,
        SnapshotError::NewerCatalogue {
            linked: newer,
            known: crate::probe::catalogue::CATALOGUE_VERSION
        }
    );
    let message = error.to_string();
    assert!(message.contains("newer Muster"), "{message}");
    assert!(message.contains(&format!("version {newer}")), "{message}");
}

/// Links keep the positions of the version they pinned: decoded against a
/// history where today's list is version 2 and version 1 had another
/// order and a probe since removed.
#[test]
fn older_catalogue_versions_decode_by_their_own_list() {
    let run = healthy_run(Client::Cli);
    let mut wire = carried(&encode(&run, true));
    let today: Vec<&str> = crate::probe::probes()
        .iter()
        .map(|probe| probe.description.id)
        .collect();
    let mut older = today.clone();
    older.reverse();
    older.push("retired.check");
    let history: [&[&str]; 2] = [&older, &today];
    // Version 1 numbered the rows in its (reversed) order.
    wire["c"] = 1.into();
    for row in wire["r"].as_array_mut().unwrap() {
        let at = row["n"].as_u64().unwrap() as usize;
        row["n"] = (today.len() - 1 - at).into();
    }
    let json = wire.to_string();
    let decoded = compact::read_pinned(json.as_bytes(), &history).unwrap();
    let ids: Vec<&str> = decoded
        .run
        .checks()
        .map(|check| check.id.as_str())
        .collect();
    assert_eq!(ids, today);
    wire["r"][0]["n"] = today.len().into();
    let retired = compact::read_pinned(wire.to_string().as_bytes(), &history).unwrap_err();
    assert_eq!(retired, SnapshotError::RetiredCheck("retired.check".into()));
    assert!(retired.to_string().contains("no longer has"), "{retired}");
}

/// Hand-made second-format payloads with absurd counts, positions and
/// shapes are refused with the reason.
#[test]
fn hostile_second_format_payloads_are_refused() {
    type WireEdit = dyn Fn(&mut serde_json::Value);
    let good = carried(&encode(&healthy_run(Client::Cli), true));
    let edit = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut wire = good.clone();
        change(&mut wire);
        decode(&raw_v2(wire.to_string().as_bytes()))
    };
    let implausible: Vec<(&str, Box<WireEdit>)> = vec![
        ("catalogue version 0", Box::new(|w| w["c"] = 0.into())),
        (
            "check number",
            Box::new(|w| {
                let past_the_end = crate::probe::catalogue::CATALOGUE_HISTORY[0].len();
                w["r"][0]["n"] = past_the_end.into();
            }),
        ),
        (
            "65 checks",
            Box::new(|w| {
                let row = w["r"][0].clone();
                w["r"] = vec![row; MAX_PROBES + 1].into();
            }),
        ),
        (
            "65 evidence items",
            Box::new(|w| w["r"][0]["e"] = vec![json!(["a", "b"]); MAX_EVIDENCE + 1].into()),
        ),
        (
            "9 requests",
            Box::new(|w| {
                let exchange = w["r"][0]["x"][0].clone();
                w["r"][0]["x"] = vec![exchange; MAX_EXCHANGES + 1].into();
            }),
        ),
        (
            "too many headers",
            Box::new(|w| w["r"][0]["x"][0]["H"] = vec![json!(["a", "b"]); MAX_HEADERS + 1].into()),
        ),
        (
            "not exactly one of numbered, named or described",
            Box::new(|w| {
                w["r"][0].as_object_mut().unwrap().remove("n");
            }),
        ),
        (
            "not exactly one of numbered, named or described",
            Box::new(|w| w["r"][0]["d"] = json!(["x", "y", "z"])),
        ),
        (
            "without its URL",
            Box::new(|w| {
                w["r"][0].as_object_mut().unwrap().remove("n");
                w["r"][0]["d"] = json!(["x", "y", "z"]);
            }),
        ),
        (
            "not exactly one of numbered, named or described",
            Box::new(|w| w["r"][0]["a"] = "argocd.muster".into()),
        ),
        (
            "named \"nonsense\" without its description",
            Box::new(|w| {
                w["r"][0].as_object_mut().unwrap().remove("n");
                w["r"][0]["a"] = "nonsense".into();
            }),
        ),
        (
            "an answer and an error",
            Box::new(|w| w["r"][0]["x"][0]["x"] = "refused".into()),
        ),
        (
            "an answer and an error",
            Box::new(|w| {
                w["r"][0]["x"][0].as_object_mut().unwrap().remove("s");
            }),
        ),
        (
            "not a URL path",
            Box::new(|w| w["p"] = "/muster\"><script>".into()),
        ),
        ("host", Box::new(|w| w["h"] = "javascript:alert(1)".into())),
        (
            "request method",
            Box::new(|w| w["r"][0]["x"][0]["m"] = "GET;touch x".into()),
        ),
        (
            "a text of",
            Box::new(|w| w["r"][0]["o"] = "x".repeat(MAX_TEXT_CHARS + 1).into()),
        ),
    ];
    for (why, change) in implausible {
        let error = edit(&*change).unwrap_err();
        assert!(
            matches!(error, SnapshotError::Implausible(_)),
            "{why}: {error:?}"
        );
        assert!(error.to_string().contains(why), "{why}: {error}");
    }
    for change in [
        json!({"c": 1}),
        json!([]),
        json!({"c": -1, "m": "", "h": "https://h", "t": 0, "k": "cli"}),
        json!({"c": 1e40, "m": "", "h": "https://h", "t": 0, "k": "cli"}),
        json!({"c": 1, "m": "", "h": "https://h", "t": 0, "k": "robot"}),
        json!({"c": 1, "m": "", "h": "https://h", "t": 0, "k": "cli", "r": [{"n": -1, "s": "pass"}]}),
        json!({"c": 1, "m": "", "h": "https://h", "t": 0, "k": "cli", "r": [{"n": 0, "s": "great"}]}),
    ] {
        let error = decode(&raw_v2(change.to_string().as_bytes())).unwrap_err();
        assert!(
            matches!(error, SnapshotError::InvalidJson(_)),
            "{change}: {error:?}"
        );
    }
    // A tampered status is recomputed, as in the first format.
    let tampered = edit(&|w| w["r"][2]["s"] = "fail".into()).unwrap();
    assert_eq!(tampered.run.status, Status::Fail);
}

/// Cut, garbled or random second-format payloads never panic: each is
/// refused or, if still well-formed, decodes to a validated run.
#[test]
fn truncated_and_garbled_second_format_payloads_never_panic() {
    let mut run = healthy_run(Client::Cli);
    run.probes[3].check.status = Status::Fail;
    let json = carried(&encode(&run, true)).to_string().into_bytes();
    for end in 0..json.len() {
        assert!(decode(&raw_v2(&json[..end])).is_err(), "cut at {end}");
    }
    let mut seed = 11u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    for _ in 0..2000 {
        let mut garbled = json.clone();
        for _ in 0..1 + next() % 4 {
            let at = next() % garbled.len();
            garbled[at] = b"0123456789{}[]\",:-eE.azn"[next() % 24];
        }
        if let Ok(snapshot) = decode(&raw_v2(&garbled)) {
            assert!(snapshot.run.probes.len() <= MAX_PROBES);
        }
    }
    for length in [0, 1, 7, 100, 5000] {
        let noise: Vec<u8> = (0..length).map(|_| next() as u8).collect();
        assert!(decode(&raw_v2(&noise)).is_err());
        let payload = format!("{VERSION_TAG}{}", URL_SAFE_NO_PAD.encode(&noise));
        assert!(decode(&payload).is_err());
    }
}
