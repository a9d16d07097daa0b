//! What a user installs and meets first: `--version` names the commit, the bash completion
//! script loads in bash and completes, every man page renders with `man -l`.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use catalyst_testkit::cli::{Cli, stderr, stdout};

fn cli() -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_catalyst"))
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = cli().run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let head = String::from_utf8(head.stdout).unwrap();
    assert_eq!(stdout(&out), format!("catalyst {} ({})\n", env!("CARGO_PKG_VERSION"), head.trim()));
}

#[test]
fn completions_load_in_bash_and_complete_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = cli().run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        assert!(stdout(&out).contains("blueprint"), "{shell}");
    }
    let script = stdout(&cli().run(&["completions", "bash"]));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("catalyst.bash");
    std::fs::write(&path, script).unwrap();
    // What bash does on `catalyst blu<TAB>` and `catalyst blueprint pu<TAB>`.
    let complete = |words: &str| {
        let program = format!(
            "set -e; source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE='{words}'; COMP_POINT=${{#COMP_LINE}}; \
             _catalyst catalyst \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display()
        );
        let out = Command::new("bash").args(["--norc", "--noprofile", "-c", &program]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(complete("catalyst blu").lines().collect::<Vec<_>>(), ["blueprint"]);
    let mut pu: Vec<String> = complete("catalyst blueprint pu").lines().map(str::to_owned).collect();
    pu.sort();
    assert_eq!(pu, ["pull", "push"]);
}

#[test]
fn every_man_page_renders() {
    let tmp = tempfile::tempdir().unwrap();
    let out = cli().run(&["man", "--out", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut pages: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(stderr(&out), format!("wrote {} man pages into {}\n", pages.len(), tmp.path().display()));
    for page in [
        "catalyst.1",
        "catalyst-blueprint.1",
        "catalyst-blueprint-pull.1",
        "catalyst-sigstore-verify-bundle.1",
        "catalyst-man.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{page} missing from {pages:?}");
    }
    assert!(pages.len() >= 40, "{}", pages.len());
    for page in &pages {
        let out = Command::new("man")
            .arg("-l")
            .arg(tmp.path().join(page))
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{page}: {}", String::from_utf8_lossy(&out.stderr));
        let name = page.trim_end_matches(".1");
        assert!(text.contains(name), "{page} does not render its name:\n{text}");
    }
    // Without --out, the top page is printed.
    let top = cli().run(&["man"]);
    assert!(stdout(&top).starts_with(".ie \\n(.g .ds Aq \\(aq"), "{}", &stdout(&top)[..80]);
}
