//! A private jackd on the dummy backend for the live tests.

use std::process::{Child, Command, Stdio};

/// A jackd server on the dummy backend, under this test's own server name.
///
/// The name is fixed on purpose: JACK keeps a machine-wide registry of at most
/// eight servers in `/dev/shm`, and a server that dies without shutting down
/// keeps its slot. A fixed name lets a later run reclaim the slot of an earlier
/// one that was killed, where a fresh name per run would fill the registry.
pub struct Jack {
    /// The server process.
    pub child: Child,
    log: std::path::PathBuf,
}

impl Jack {
    /// What jackd printed so far, and whether it has exited, for error messages.
    pub fn report(&mut self) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => format!("jackd exited ({status})"),
            Ok(None) => "jackd is running".to_string(),
            Err(e) => format!("jackd state unknown: {e}"),
        };
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!("{status}; its output:\n{log}")
    }

    /// Stops the server as an orderly shutdown does (its clients are told,
    /// and it leaves JACK's registry).
    pub fn stop(&mut self) {
        super::process::terminate(&mut self.child);
    }
}

impl Drop for Jack {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Makes this test process's JACK clients use server `name` and never start
/// one of their own. Call before any thread of the test starts.
pub fn use_server(name: &str) {
    // SAFETY: called at the start of the test, before any other thread of
    // the test reads the environment.
    unsafe {
        std::env::set_var("JACK_DEFAULT_SERVER", name);
        std::env::set_var("JACK_NO_START_SERVER", "1");
    }
}

/// Starts jackd as server `name`, logging to `log`.
pub fn start_jack(name: &str, log: std::path::PathBuf) -> Jack {
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new("jackd")
        .args(["--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256"])
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .spawn()
        .expect("jackd is needed for this test: scripts/test.sh installs it (apt-get install jackd2)");
    Jack { child, log }
}
