//! The user's terminal: is it one, how big is it, and raw mode that is always undone.

use std::io;
use std::os::fd::RawFd;

/// The size of the terminal on `fd` as (cols, rows), when it is one and knows its size.
pub fn size(fd: RawFd) -> Option<(u16, u16)> {
    // SAFETY: TIOCGWINSZ writes one winsize into the zeroed struct we pass.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) };
    (rc == 0 && ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

/// Raw mode on a terminal; the previous settings come back when this is dropped, which
/// covers normal returns, `?` early returns and panics that unwind.
pub struct RawMode {
    fd: RawFd,
    saved: libc::termios,
}

impl RawMode {
    /// Put the terminal on `fd` in raw mode (keys pass through unprocessed: Ctrl-C goes
    /// to the child, not to us).
    pub fn enable(fd: RawFd) -> io::Result<Self> {
        // SAFETY: tcgetattr fills the zeroed termios; cfmakeraw edits our copy only.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut raw = saved;
        unsafe { libc::cfmakeraw(&mut raw) };
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { fd, saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enable` on the same descriptor.
        unsafe { libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved) };
    }
}
