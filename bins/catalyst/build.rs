//! Records the git commit the binary is built from (`catalyst --version`), or says it is not
//! known (a source tarball, `cargo install` from the registry).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "commit unknown".to_owned());
    println!("cargo:rustc-env=CATALYST_GIT_COMMIT={commit}");
    // Rebuilt when HEAD moves: a checkout (HEAD), a commit (the branch's ref) or a gc
    // (packed-refs).
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        for path in ["HEAD", "refs/heads", "packed-refs"] {
            println!("cargo:rerun-if-changed={dir}/{path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
