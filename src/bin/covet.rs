//! `covet`: the SQL shell and its subcommands (the code is in `src/cli/`).

#[path = "../cli/mod.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
