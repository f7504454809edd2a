//! The `driftscope` binary: parse the command line; no command opens the app on the sample
//! investigation, `open` on given files, anything else runs headless.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use driftscope::cli::{self, Cli, Command, EXIT_ERROR, OpenArgs};
use driftscope::ui::{Launch, run_app};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_ERROR)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let launch = match cli.command {
        None => match driftscope::sample::sample_investigation() {
            Ok(path) => Launch::Investigation(path),
            Err(message) => {
                eprintln!("driftscope: {message}");
                Launch::Empty
            }
        },
        Some(Command::Open(args)) => match launch_from(&args) {
            Ok(launch) => launch,
            Err(message) => {
                eprintln!("driftscope: error: {message}");
                return ExitCode::from(EXIT_ERROR);
            }
        },
        Some(command) => return cli::run(command),
    };
    match run_app(launch) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("driftscope: error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn launch_from(args: &OpenArgs) -> Result<Launch, String> {
    let missing = |p: &PathBuf| (!p.exists()).then(|| format!("{}: no such file", p.display()));
    if let Some(message) = args.files.iter().find_map(missing) {
        return Err(message);
    }
    match args.files.as_slice() {
        [one] if one.extension().is_some_and(|e| e == "ron") => {
            if !args.roles.overrides().roles.is_empty() {
                return Err("--role/--segment go with BASELINE LOG; an investigation file carries its own roles".to_owned());
            }
            Ok(Launch::Investigation(one.clone()))
        }
        [one] => Err(format!(
            "{}: open takes BASELINE LOG (two data files) or one investigation file (.ron)",
            one.display()
        )),
        [baseline, current] => Ok(Launch::Files {
            baseline: baseline.clone(),
            current: current.clone(),
            roles: args.roles.overrides(),
        }),
        _ => Err("open takes BASELINE LOG or one investigation file".to_owned()),
    }
}
