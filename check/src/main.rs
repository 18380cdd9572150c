//! The `muster-check` binary: reads the process's arguments, environment
//! and streams, and hands them to [`muster_check::run`].

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::process::ExitCode;

/// The variables `muster-check` reads.
const VARIABLES: [&str; 4] = [
    "MUSTER_CHECK_URL",
    "MUSTER_CHECK_TOKEN",
    "GAFAELFAWR_BOOTSTRAP_TOKEN",
    "NO_COLOR",
];

fn main() -> ExitCode {
    let mut args = Vec::new();
    for (at, arg) in std::env::args_os().skip(1).enumerate() {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            // Not shown: it may be a token.
            Err(_) => {
                eprintln!("muster-check: argument {} is not valid UTF-8", at + 1);
                return ExitCode::from(2);
            }
        }
    }
    for variable in VARIABLES {
        if std::env::var_os(variable).is_some_and(|value| value.to_str().is_none()) {
            eprintln!("muster-check: {variable} is not valid UTF-8");
            return ExitCode::from(2);
        }
    }
    // Other variables that are not UTF-8 are none of muster-check's business.
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    let stdout = std::io::stdout();
    let stdout_is_terminal = stdout.is_terminal();
    let io = muster_check::Io {
        stdin: &mut std::io::stdin().lock(),
        stdout: &mut stdout.lock(),
        stderr: &mut std::io::stderr().lock(),
        stdout_is_terminal,
    };
    muster_check::run(&args, &env, io).into()
}
