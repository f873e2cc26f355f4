//! Opening the system browser on the sign-in page. `BROWSER`, when set, names a program run with
//! the URL as its only argument (our tests point it at a scripted browser); otherwise the `open`
//! crate asks the platform.

use std::process::{Command, Stdio};

/// Environment variable naming the browser program.
pub const BROWSER_ENV: &str = "BROWSER";

/// Opens `url`. On error, the caller shows the URL for the user to open by hand. The error
/// never contains the URL.
pub fn open_browser(url: &str) -> Result<(), String> {
    match std::env::var(BROWSER_ENV) {
        Ok(program) if !program.trim().is_empty() => {
            let program = program.trim().to_string();
            let mut child = Command::new(&program)
                .arg(url)
                .stdin(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot run {BROWSER_ENV}={program}: {e}"))?;
            // Reap it when it exits so no zombie is left behind.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            Ok(())
        }
        _ => open::that_detached(url).map_err(|e| format!("cannot open the system browser: {e}")),
    }
}
