//! Running a workspace binary the way a user does, and reading what it printed.

use std::path::Path;
use std::process::{Command, Output};

/// A binary of the workspace: pass `env!("CARGO_BIN_EXE_<name>")` from the test.
#[derive(Clone, Debug)]
pub struct Cli {
    bin: String,
    env: Vec<(String, String)>,
    removed: Vec<String>,
}

impl Cli {
    /// The binary at `bin`, with the secrets the CLI reads removed from its environment.
    pub fn new(bin: &str) -> Self {
        let removed = ["PDNS_API_KEY", "GITEA_TOKEN", "CATALYST_SIGN_KEY", "COSIGN_PASSWORD"]
            .map(str::to_owned)
            .to_vec();
        Self { bin: bin.to_owned(), env: Vec::new(), removed }
    }

    /// Sets a variable for every run.
    #[must_use]
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.env.push((key.to_owned(), value.as_ref().to_string_lossy().into_owned()));
        self
    }

    /// Removes a variable from the environment of every run (also one set with [`Cli::env`]).
    #[must_use]
    pub fn unset(mut self, key: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.removed.push(key.to_owned());
        self
    }

    /// Runs with `args`.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args);
        for k in &self.removed {
            cmd.env_remove(k);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.output().unwrap_or_else(|e| panic!("{}: {e}", self.bin))
    }

    /// Runs with `args` and extra variables.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut cli = self.clone();
        for (k, v) in env {
            cli = cli.env(k, v);
        }
        cli.run(args)
    }
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output parsed as JSON (panics with the text when it is not).
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Bytes as text (lossy).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `catalyst` binary of the calling crate's tests, as a [`Cli`].
#[macro_export]
macro_rules! catalyst_cli {
    () => {
        $crate::cli::Cli::new(env!("CARGO_BIN_EXE_catalyst"))
    };
}
