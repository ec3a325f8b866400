//! `missiond`: the daemon and its command line. See `cli` for the subcommands.

mod cli;
mod commands;
mod daemon;
mod input_script;
mod pty;
mod record;
mod replay;
mod runner;

fn main() {
    let cli = cli::parse();
    if cli.command.is_some() {
        // A command's output piped into `head` ends quietly, as with any Unix tool,
        // instead of panicking on the broken pipe. The daemon keeps Rust's default
        // (ignored, so a closed client socket is an error, not its death).
        // SAFETY: before any thread starts; restores the default disposition.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
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
