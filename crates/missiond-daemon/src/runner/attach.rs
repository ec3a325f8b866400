//! `missiond runner --attach SLOT`: a pipe between the SSH channel (stdin/stdout) and the
//! slot's runner server, which it starts (detached, in a session of its own) when none
//! answers on the socket.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// How long a freshly started server may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects (starting the server when needed) and copies bytes both ways until either
/// side ends.
pub fn run(dir: &Path, slot: &str) -> Result<i32> {
    super::check_slot(slot)?;
    let socket = super::socket_path(dir, slot);
    let stream = match UnixStream::connect(&socket) {
        Ok(s) => s,
        Err(_) => {
            start_server(dir, slot)?;
            wait_connect(&socket)?
        }
    };
    let mut from_server = stream.try_clone().context("cloning the runner socket")?;
    let mut to_server = stream;
    // Channel -> server on a thread; server -> channel here. Either end closing ends us:
    // the server keeps the program, whatever happened to the channel.
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let _ = copy(&mut stdin, &mut to_server);
        let _ = to_server.shutdown(std::net::Shutdown::Both);
    });
    let mut stdout = std::io::stdout().lock();
    let _ = copy(&mut from_server, &mut stdout);
    Ok(0)
}

fn copy(from: &mut dyn Read, to: &mut dyn Write) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        to.flush()?;
    }
}

/// Starts `missiond runner --serve SLOT` in a session of its own, its output in
/// `<dir>/<slot>.log`.
fn start_server(dir: &Path, slot: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    set_private(dir);
    let log_path = dir.join(format!("{slot}.log"));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let exe = std::env::current_exe().context("finding this executable")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("runner")
        .arg("--serve")
        .arg(slot)
        .arg("--state-dir")
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log);
    // SAFETY: setsid(2) in the child between fork and exec touches no shared state; it
    // takes the server out of the SSH session, so a closed connection's SIGHUP misses it.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.spawn().context("starting the runner server")?;
    Ok(())
}

fn wait_connect(socket: &Path) -> Result<UnixStream> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match UnixStream::connect(socket) {
            Ok(s) => return Ok(s),
            Err(e) if Instant::now() >= deadline => {
                return Err(e).with_context(|| {
                    format!(
                        "the runner server did not listen on {} (see its .log beside it)",
                        socket.display()
                    )
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Only the user may enter the state folder (sockets and settings are in it).
pub(super) fn set_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}
