//! `missiond`: the daemon and its command line. See `cli` for the subcommands.

mod cli;
mod commands;
mod daemon;
mod input_script;
mod pty;
mod record;
mod replay;

fn main() {
    let cli = cli::parse();
    // Each subcommand restores whatever it changed (raw mode) before returning here.
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("missiond: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
