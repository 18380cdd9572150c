use super::*;
use crate::model::{Evidence, Status};
use crate::probe::testing::*;
use crate::probe::{Client, Exchange};

/// A payload of arbitrary bytes, packed the way `encode` packs.
fn raw(json: &[u8]) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(json, 6);
    format!("{VERSION_TAG}{}", URL_SAFE_NO_PAD.encode(compressed))
}

fn decoded_text(snapshot: &Snapshot) -> String {
    serde_json::to_string(snapshot).unwrap()
}

#[test]
fn a_run_round_trips_through_a_link() {
    let run = healthy_run(Client::Cli);
    let url = share_url("https://data.example.org/muster/", &run, true);
    assert!(url.starts_with("https://data.example.org/muster/report#v1."));
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
            good.replacen("v1.", "v2.", 1),
            SnapshotError::UnsupportedVersion("v2".into()),
        ),
        (format!("{good}%3C"), SnapshotError::NotBase64),
        (good[..good.len() / 2].to_owned(), SnapshotError::Damaged),
        (
            good[..good.len() / 2 + 1].to_owned(),
            SnapshotError::Damaged,
        ),
        (good[..good.len() - 1].to_owned(), SnapshotError::Damaged),
        ("v1.AAAA".into(), SnapshotError::Damaged),
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
    // Incompressible bodies in every exchange.
    let mut seed = 7u64;
    for exchange in run.probes.iter_mut().flat_map(|p| &mut p.exchanges) {
        if let Received::Response(response) = &mut exchange.received {
            response.body = (0..BODY_CHARS * 3)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    char::from(b'!' + (seed >> 58) as u8)
                })
                .collect();
        }
    }
    let payload = encode(&run, true);
    assert!(payload.len() <= MAX_PAYLOAD_CHARS);
    assert_eq!(decode(&payload).unwrap().run.status, Status::Pass);
}

#[test]
fn typical_links_are_a_few_kilobytes() {
    for client in [Client::Cli, Client::Browser] {
        let run = healthy_run(client);
        let url = share_url("https://data.example.org/muster", &run, false);
        println!(
            "{client:?}: share link of a full healthy run: {} characters",
            url.len()
        );
        assert!(url.len() < 16 * 1024, "{}", url.len());
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
    assert!(fits(&payload));
    let compressed = compressed_of(&format!("https://h/muster/report#{payload}")).unwrap();
    let inflated = miniz_oxide::inflate::decompress_to_vec_zlib(&compressed).unwrap();
    assert_eq!(from_json(&inflated).unwrap(), decode(&payload).unwrap());
    assert_eq!(
        from_json(&vec![b' '; MAX_DECOMPRESSED_BYTES + 1]),
        Err(SnapshotError::TooLargeDecompressed)
    );
    // Smaller each time, then done.
    let mut encoder = Encoder::new(&run, true);
    let sizes: Vec<usize> = std::iter::from_fn(|| encoder.next_json().map(|j| j.len())).collect();
    assert_eq!(sizes.len(), 3);
    assert!(sizes[0] >= sizes[1] && sizes[1] > sizes[2], "{sizes:?}");
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
    };
    let json = serde_json::to_vec(&snapshot).unwrap();
    assert!(!String::from_utf8_lossy(&json).contains("skip_reason"));
    assert!(decode(&raw(&json)).unwrap().run.needs_login());
    let url = share_url("https://h/muster/", &run, false);
    assert!(decode(&url).unwrap().run.needs_login());
}
