//! The README's "When the input is wrong" transcript, run as written: each `$ catalyst …`
//! line in bash in `examples/bad-input` (with the `catalyst` under test on `PATH` and a real
//! PowerDNS on loopback as `$PDNS`), its output (stdout and stderr together) and its exit code
//! (`# exit N`) exactly as documented. Every refusal in it must also have the shape a person can
//! act on: it names a file of the command line, a path inside it or the flag that decides, and
//! a rule.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use catalyst_testkit::pdns::{API_KEY, Pdns};

struct Case {
    command: String,
    exit: i32,
    output: String,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The transcript between the README's `bad-input` markers.
fn transcript() -> Vec<Case> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("<!-- bad-input:start -->").expect("the README's bad-input transcript");
    let end = readme.find("<!-- bad-input:end -->").unwrap();
    let block = &readme[start..end];
    let body = block.split_once("```console\n").unwrap().1.rsplit_once("```").unwrap().0;
    let mut cases: Vec<Case> = Vec::new();
    for line in body.lines() {
        if let Some(command) = line.strip_prefix("$ ") {
            let (command, exit) = command.rsplit_once("# exit ").expect("every command ends in `# exit N`");
            cases.push(Case {
                command: command.trim().to_owned(),
                exit: exit.trim().parse().unwrap(),
                output: String::new(),
            });
        } else {
            let case = cases.last_mut().expect("the transcript starts with a command");
            case.output.push_str(line);
            case.output.push('\n');
        }
    }
    cases
}

/// The shape of a refusal: it names a file or flag of the command line, and a rule (in
/// brackets: `[CORE-5]`, `error[InvalidVersion]:`) or the flag that changes the outcome.
fn shape_problems(case: &Case) -> Vec<String> {
    let named: Vec<&str> = case
        .command
        .split_whitespace()
        .filter(|w| {
            Path::new(w).extension().is_some_and(|e| e == "yaml")
                || w.ends_with("catalog")
                || w.starts_with("--")
        })
        .collect();
    let mut problems = Vec::new();
    if !named.iter().any(|n| case.output.contains(n)) {
        problems.push(format!("`{}`: the message names no file or flag of the command line", case.command));
    }
    let rule = case.output.lines().any(|l| l.starts_with("error[") || l.trim_end().ends_with(']'));
    let flag = case.output.contains(" --") || case.output.starts_with("error: --");
    if !rule && !flag {
        problems.push(format!("`{}`: the message names no rule and no flag", case.command));
    }
    problems
}

#[test]
fn the_documented_bad_input_gives_the_documented_messages() {
    let cases = transcript();
    assert!(cases.len() >= 9, "the transcript has its cases");
    let pdns = Pdns::start();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_catalyst")).parent().unwrap().to_owned();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut failures = Vec::new();
    for case in &cases {
        assert!(case.command.starts_with("catalyst "), "{}", case.command);
        let out = Command::new("bash")
            .args(["-c", &format!("{{ {}; }} 2>&1", case.command)])
            .current_dir(root().join("examples/bad-input"))
            .env("PATH", &path)
            .env("PDNS", pdns.url())
            .env("PDNS_API_KEY", API_KEY)
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        let got = String::from_utf8_lossy(&out.stdout);
        if out.status.code() != Some(case.exit) || got != case.output {
            failures.push(format!(
                "$ {}\nexpected (exit {}):\n{}got (exit {:?}):\n{got}",
                case.command,
                case.exit,
                case.output,
                out.status.code()
            ));
        }
        if case.exit != 0 {
            failures.extend(shape_problems(case));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_shape_check_catches_a_message_without_file_or_rule() {
    let bare = Case {
        command: "catalyst dns apply -f ours.yaml --server x".into(),
        exit: 1,
        output: "error: zone shop.test. does not exist\n".into(),
    };
    assert_eq!(
        shape_problems(&bare),
        [
            "`catalyst dns apply -f ours.yaml --server x`: the message names no file or flag of the command line",
            "`catalyst dns apply -f ours.yaml --server x`: the message names no rule and no flag"
        ]
    );
}
