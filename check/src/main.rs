//! The `muster-check` binary: reads the process's arguments, environment
//! and streams, and hands them to [`muster_check::run`].

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let env: HashMap<String, String> = std::env::vars().collect();
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
