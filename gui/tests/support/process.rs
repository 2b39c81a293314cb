//! Stopping a helper server (jackd, Xvfb) the orderly way.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Sends SIGTERM, so the server removes its lock files, sockets and
/// registrations, and waits up to 5 s for it; SIGKILL only if it hangs.
pub fn terminate(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}
