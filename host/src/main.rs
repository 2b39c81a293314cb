//! `mixgraph`: the command-line face of the mixgraph engine.
//!
//! - `mixgraph render --graph FILE --in NAME=PATH ... --out PATH`: offline render
//! - `mixgraph nodes [TYPE] [--json]`: the node types and their parameters
//! - `mixgraph validate FILE...`: check graph files
//! - `mixgraph demo [--out DIR]`: synthesize a demo song and mix it
//! - `mixgraph analyze FILE... [--json]`: measure audio files (cached)
//!
//! Errors print as `error: ...` with `  caused by: ...` lines and exit with
//! code 1; usage errors exit with code 2.

mod analyze;
mod analyze_cache;
mod analyze_stems;
mod cli;
mod demo;
mod demo_song;
mod inputs;
mod job_graph;
mod master;
mod mix_job;
mod nodes_cmd;
mod qc;
mod reference;
mod render;
mod report_page;
mod report_plots;
mod report_png;
mod report_reduction;
mod report_render;
mod summary;
mod validate;
mod wav_out;

use clap::Parser;
use cli::{Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with success; usage errors exit 2.
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let result = match cli.command {
        Command::Render(args) => render::run(args).map(|()| ExitCode::SUCCESS),
        Command::Nodes(args) => nodes_cmd::run(args).map(|()| ExitCode::SUCCESS),
        Command::Validate(args) => validate::run(args),
        Command::Demo(args) => demo::run(args).map(|()| ExitCode::SUCCESS),
        Command::Analyze(args) => analyze::run(args).map(|()| ExitCode::SUCCESS),
        Command::Master(args) => master::run(args).map(|()| ExitCode::SUCCESS),
        Command::Mix(args) => mix_job::run(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            print_error(&e);
            ExitCode::FAILURE
        }
    }
}

/// Prints `error: <message>` and one `  caused by: <cause>` line per further
/// error in the chain to stderr. A cause whose text the line before already
/// contains is skipped (many error types repeat their source in their message).
pub fn print_error(error: &anyhow::Error) {
    let mut previous = error.to_string();
    eprintln!("error: {previous}");
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if previous.contains(&text) {
            continue;
        }
        eprintln!("  caused by: {text}");
        previous = text;
    }
}

/// Whether the error is stdout closing under us (`mixgraph nodes | head`).
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().filter_map(|e| e.downcast_ref::<std::io::Error>()).any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
