//! The stand-in for the environment's home page: in Phalanx, Squareone (a
//! Next.js application) answers the host's root through its own ingress.
//! Here nginx serves a static page shaped like Squareone's at `/`, or,
//! under a fault, what a broken home page answers.

use std::fmt;
use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;

/// What the stand-in serves: the start of a Squareone page as Next.js
/// renders it — its scripts under `/_next/`, its data in `__NEXT_DATA__`.
const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<title>Rubin Science Platform (local stack)</title>
<script src="/_next/static/chunks/main-muster-stand-in.js" defer></script>
</head>
<body>
<div id="__next"><main><h1>Rubin Science Platform</h1>
<p>The local stack's stand-in for Squareone, Phalanx's home page.</p></main></div>
<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":{}},"page":"/","query":{},"buildId":"muster-stand-in"}</script>
</body>
</html>
"#;

/// One way the home page can be broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HomePageFault {
    /// Squareone is not deployed: nothing claims `/`, and ingress-nginx's
    /// default backend answers 404.
    Missing,
    /// Squareone is failing: its server answers 500.
    Error,
    /// `/` is routed to another service, whose answer is JSON (here
    /// Muster's own root, its health route).
    NotHtml,
}

impl HomePageFault {
    /// Every fault, in declaration order.
    pub fn all() -> &'static [HomePageFault] {
        &[
            HomePageFault::Missing,
            HomePageFault::Error,
            HomePageFault::NotHtml,
        ]
    }

    /// The kebab-case name used on command lines and in test names.
    pub fn name(self) -> &'static str {
        match self {
            HomePageFault::Missing => "home-page-missing",
            HomePageFault::Error => "home-page-error",
            HomePageFault::NotHtml => "home-page-not-html",
        }
    }
}

impl fmt::Display for HomePageFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HomePageFault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::all()
            .iter()
            .copied()
            .find(|fault| fault.name() == text)
            .ok_or_else(|| format!("unknown home page fault {text:?}"))
    }
}

/// The nginx `location = /` that stands in for Squareone's ingress, with
/// `fault` if any; its page is written into `dir`. `None` when nothing
/// serves the root (nginx's default backend then answers 404).
/// `muster_upstream` names the nginx upstream of Muster's server, the
/// service `home-page-not-html` wrongly sends `/` to.
pub fn nginx_location(
    fault: Option<HomePageFault>,
    dir: &Path,
    muster_upstream: &str,
) -> Result<Option<String>, String> {
    let mut out = String::from("        # The home page (Squareone's stand-in)\n");
    match fault {
        Some(HomePageFault::Missing) => return Ok(None),
        Some(HomePageFault::Error) => out.push_str(
            "        location = / {\n            # Fault: the home page application fails.\n\
             \x20           return 500;\n        }\n\n",
        ),
        Some(HomePageFault::NotHtml) => {
            let _ = write!(
                out,
                "        location = / {{\n            # Fault: / is routed to another service.\n\
                 \x20           proxy_pass http://{muster_upstream};\n        }}\n\n"
            );
        }
        None => {
            std::fs::create_dir_all(dir)
                .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
            let page = dir.join("index.html");
            std::fs::write(&page, PAGE)
                .map_err(|error| format!("cannot write {}: {error}", page.display()))?;
            let root = dir
                .to_str()
                .filter(|text| {
                    !text.contains(|c: char| c.is_whitespace() || "\"';{}$#\\".contains(c))
                })
                .ok_or_else(|| format!("{} is no plain path nginx can read", dir.display()))?;
            let _ = write!(
                out,
                "        location = / {{\n            root {root};\n\
                 \x20           default_type text/html;\n\
                 \x20           add_header Cache-Control \"no-cache\";\n\
                 \x20           try_files /index.html =404;\n        }}\n\n"
            );
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for fault in HomePageFault::all() {
            assert_eq!(fault.to_string().parse::<HomePageFault>(), Ok(*fault));
        }
        assert_eq!(HomePageFault::all().len(), 3);
    }

    #[test]
    fn the_healthy_page_is_written_and_served_from_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let location = nginx_location(None, &home, "muster_backend")
            .unwrap()
            .unwrap();
        assert!(location.contains("location = / {"), "{location}");
        let page = std::fs::read_to_string(home.join("index.html")).unwrap();
        assert!(page.contains("__NEXT_DATA__"));
        assert_eq!(
            nginx_location(Some(HomePageFault::Missing), &home, "x").unwrap(),
            None
        );
    }
}
