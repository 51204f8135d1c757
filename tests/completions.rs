//! `dashdeploy completions SHELL` and `dashdeploy man`: made from the
//! command line's definition, so every subcommand is in them.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

/// Every subcommand a user can type.
const SUBCOMMANDS: &[&str] = &[
    "plan",
    "policy",
    "deploy",
    "status",
    "destroy",
    "logs",
    "completions",
    "man",
];

fn dashdeploy(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dashdeploy"))
        .args(args)
        .env(
            "DASHDEPLOY_STATE_DIR",
            std::env::temp_dir().join("dashdeploy-completions-test"),
        )
        .output()
        .expect("run dashdeploy")
}

fn printed(args: &[&str]) -> String {
    let out = dashdeploy(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{args:?} wrote to stderr");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn each_shell_completes_every_subcommand() {
    for shell in ["bash", "zsh", "fish"] {
        let script = printed(&["completions", shell]);
        for sub in SUBCOMMANDS {
            assert!(
                script.contains(sub),
                "{shell}: no {sub} in the completion script"
            );
        }
        // The flags of a subcommand are completed too.
        assert!(script.contains("keep-repository"), "{shell}");
    }
    assert!(printed(&["completions", "bash"]).contains("complete -F _dashdeploy"));
    assert!(printed(&["completions", "zsh"]).starts_with("#compdef dashdeploy"));
    let fish = printed(&["completions", "fish"]);
    assert!(fish.contains("complete -c dashdeploy"), "{fish}");
    // The subcommand's own description comes along.
    assert!(
        fish.contains("Remove everything dashdeploy made for the app on AWS"),
        "{fish}"
    );
}

#[test]
fn an_unknown_shell_gets_clap_s_error() {
    let out = dashdeploy(&["completions", "ksh"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid value 'ksh'") && stderr.contains("bash, zsh, fish"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let out = dashdeploy(&["completions"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_naming_every_subcommand() {
    let page = printed(&["man"]);
    // Only roff's string definitions (`.ie`/`.el`) come before the title.
    let first = page
        .lines()
        .find(|l| !l.starts_with(".ie ") && !l.starts_with(".el "))
        .unwrap();
    assert!(first.starts_with(".TH dashdeploy 1 "), "{first}");
    assert!(page.contains("\n.SH NAME\n"), "{page}");
    assert!(page.contains("\n.SH OPTIONS\n"), "{page}");
    for sub in SUBCOMMANDS {
        // Roff escapes the hyphen.
        assert!(
            page.contains(&format!("dashdeploy\\-{sub}")),
            "no {sub} in:\n{page}"
        );
    }
    assert!(page.contains("\\-\\-allow\\-from"), "{page}");
}

#[test]
fn man_s_help_says_where_to_install_it() {
    let help = printed(&["man", "--help"]);
    assert!(
        help.contains("dashdeploy man > ~/.local/share/man/man1/dashdeploy.1"),
        "{help}"
    );
}
