//! The image's declared layout, read from the two places that build it:
//! the Dockerfile's final stage (for a Docker engine) and
//! `scripts/build-image` (buildah, which builds it on these machines).
//! The tests compare the two with each other and with the built archive.
//!
//! Both files are the repository's own, written one instruction (or one
//! `buildah config` flag) per line; anything else in the parts read here
//! is an error rather than something silently left unchecked.

use std::collections::BTreeMap;

/// What an image is declared to hold and how it starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// The final stage's base image (`scratch`: an empty one).
    pub base: String,
    /// Path in the image → path in the repository it is copied from.
    pub files: BTreeMap<String, String>,
    /// Environment variables the image sets.
    pub env: BTreeMap<String, String>,
    /// `uid:gid` the container runs as.
    pub user: String,
    /// Exposed ports, with their protocol (`8080/tcp`).
    pub ports: Vec<String>,
    /// The entrypoint, exec form (empty: none).
    pub entrypoint: Vec<String>,
    /// The default command, exec form.
    pub cmd: Vec<String>,
}

/// Reads the final stage of `dockerfile`. Sources copied from an earlier
/// stage are given relative to that stage's `WORKDIR` (the repository).
pub fn from_dockerfile(dockerfile: &str) -> Result<Layout, String> {
    let instructions = dockerfile_instructions(dockerfile);
    let final_from = instructions
        .iter()
        .rposition(|(keyword, _)| keyword == "FROM")
        .ok_or("the Dockerfile has no FROM")?;
    let workdir = instructions[..final_from]
        .iter()
        .rev()
        .find(|(keyword, _)| keyword == "WORKDIR")
        .map(|(_, dir)| format!("{}/", dir.trim_end_matches('/')))
        .ok_or("the build stage has no WORKDIR")?;
    let mut layout = Layout {
        base: instructions[final_from].1.clone(),
        ..Layout::default()
    };
    for (keyword, arguments) in &instructions[final_from + 1..] {
        match keyword.as_str() {
            "COPY" => {
                let words: Vec<&str> = arguments.split_whitespace().collect();
                let [from, source, destination] = words[..] else {
                    return Err(format!("COPY {arguments}: expected --from=STAGE SRC DEST"));
                };
                if !from.starts_with("--from=") {
                    return Err(format!("COPY {arguments}: not from a build stage"));
                }
                let source = source.strip_prefix(&workdir).ok_or_else(|| {
                    format!("COPY {arguments}: source outside the build stage's {workdir}")
                })?;
                layout
                    .files
                    .insert(destination.to_owned(), source.to_owned());
            }
            "ENV" => {
                for assignment in arguments.split_whitespace() {
                    insert_variable(&mut layout.env, assignment)?;
                }
            }
            "USER" => layout.user = arguments.clone(),
            "EXPOSE" => layout.ports.push(with_protocol(arguments)),
            "ENTRYPOINT" => layout.entrypoint = exec_form(keyword, arguments)?,
            "CMD" => layout.cmd = exec_form(keyword, arguments)?,
            _ => return Err(format!("{keyword} in the final stage is not understood")),
        }
    }
    Ok(layout)
}

/// Reads the `buildah from`, `buildah copy` and `buildah config` lines of
/// `scripts/build-image`.
pub fn from_buildah_script(script: &str) -> Result<Layout, String> {
    let mut layout = Layout::default();
    let mut lines = script.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if let Some((_, rest)) = line.split_once("buildah from ") {
            layout.base = rest
                .split(|c: char| c.is_whitespace() || c == ')')
                .next()
                .unwrap_or_default()
                .to_owned();
        } else if let Some(rest) = line.strip_prefix("buildah copy ") {
            let words: Vec<&str> = rest
                .split_whitespace()
                .filter(|word| !word.starts_with('-') && !word.starts_with('>'))
                .collect();
            let [_container, source, destination] = words[..] else {
                return Err(format!("{line}: expected CONTAINER SRC DEST"));
            };
            layout
                .files
                .insert(destination.to_owned(), source.to_owned());
        } else if line.starts_with("buildah config") {
            let mut flag_line = line;
            while flag_line.ends_with('\\') {
                flag_line = lines.next().ok_or("buildah config ends in a backslash")?;
                let flag = flag_line.trim_end_matches('\\').trim();
                let Some((name, value)) = flag.split_once(' ') else {
                    continue; // the container, last
                };
                let value = value.trim().trim_matches('\'');
                match name {
                    "--env" => insert_variable(&mut layout.env, value)?,
                    "--user" => layout.user = value.to_owned(),
                    "--port" => layout.ports.push(with_protocol(value)),
                    "--entrypoint" => layout.entrypoint = exec_form(name, value)?,
                    "--cmd" => layout.cmd = exec_form(name, value)?,
                    _ => return Err(format!("buildah config {flag} is not understood")),
                }
            }
        }
    }
    if layout.base.is_empty() {
        return Err("the script has no `buildah from`".to_owned());
    }
    Ok(layout)
}

/// The Dockerfile's instructions, keyword and arguments, continuation lines
/// joined and comments left out.
fn dockerfile_instructions(dockerfile: &str) -> Vec<(String, String)> {
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(continued) => {
                current.push_str(continued);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                let (keyword, arguments) = current.split_once(' ').unwrap_or((&current, ""));
                instructions.push((keyword.to_uppercase(), arguments.trim().to_owned()));
                current.clear();
            }
        }
    }
    instructions
}

fn insert_variable(env: &mut BTreeMap<String, String>, assignment: &str) -> Result<(), String> {
    let (name, value) = assignment
        .split_once('=')
        .ok_or_else(|| format!("{assignment}: expected NAME=VALUE"))?;
    env.insert(name.to_owned(), value.to_owned());
    Ok(())
}

/// `8080` → `8080/tcp`, as image configurations record it.
fn with_protocol(port: &str) -> String {
    if port.contains('/') {
        port.to_owned()
    } else {
        format!("{port}/tcp")
    }
}

/// A command in exec (JSON array) form; the shell form would need a shell,
/// which an image from scratch has not.
fn exec_form(what: &str, arguments: &str) -> Result<Vec<String>, String> {
    serde_json::from_str(arguments)
        .map_err(|error| format!("{what} {arguments}: not a JSON array of strings ({error})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_final_stage_of_a_dockerfile() {
        let layout = from_dockerfile(
            "FROM rust AS build\nWORKDIR /src\nRUN cargo build \\\n  --release\n\n\
             # the image\nFROM scratch\n\
             COPY --from=build /src/target/x/muster /usr/local/bin/muster\n\
             ENV A=1\nUSER 1000:1000\nEXPOSE 8080\nCMD [\"/usr/local/bin/muster\"]\n",
        )
        .unwrap();
        assert_eq!(layout.base, "scratch");
        assert_eq!(
            layout.files,
            BTreeMap::from([(
                "/usr/local/bin/muster".to_owned(),
                "target/x/muster".to_owned()
            )])
        );
        assert_eq!(
            layout.env,
            BTreeMap::from([("A".to_owned(), "1".to_owned())])
        );
        assert_eq!(layout.user, "1000:1000");
        assert_eq!(layout.ports, ["8080/tcp"]);
        assert!(layout.entrypoint.is_empty());
        assert_eq!(layout.cmd, ["/usr/local/bin/muster"]);
    }

    #[test]
    fn refuses_what_it_does_not_check() {
        let error = from_dockerfile("FROM a\nWORKDIR /src\nFROM b\nRUN rm -rf /\n").unwrap_err();
        assert!(error.contains("RUN"), "{error}");
        let error = from_dockerfile("FROM a\nWORKDIR /src\nFROM b\nCMD muster\n").unwrap_err();
        assert!(error.contains("JSON array"), "{error}");
        let error = from_buildah_script(
            "c=$(buildah from scratch)\nbuildah config \\\n  --volume /x \\\n  \"$c\"\n",
        )
        .unwrap_err();
        assert!(error.contains("--volume"), "{error}");
    }

    #[test]
    fn reads_a_buildah_script() {
        let layout = from_buildah_script(
            "container=$(buildah from scratch)\n\
             buildah copy --quiet \"$container\" target/dist /app/dist >/dev/null\n\
             buildah config \\\n  --env A=1 \\\n  --user 1000:1000 \\\n  --port 8080 \\\n  \
             --cmd '[\"/usr/local/bin/muster\"]' \\\n  \"$container\"\n",
        )
        .unwrap();
        assert_eq!(layout.base, "scratch");
        assert_eq!(
            layout.files,
            BTreeMap::from([("/app/dist".to_owned(), "target/dist".to_owned())])
        );
        assert_eq!(
            layout.env,
            BTreeMap::from([("A".to_owned(), "1".to_owned())])
        );
        assert_eq!(layout.user, "1000:1000");
        assert_eq!(layout.ports, ["8080/tcp"]);
        assert_eq!(layout.cmd, ["/usr/local/bin/muster"]);
    }
}
