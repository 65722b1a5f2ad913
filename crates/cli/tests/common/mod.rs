//! What the command-line tests share.

use std::process::{Command, Output};

/// Runs the built `tariff` with `args` from the repository root (where the tests' fixture
/// paths start), stdin closed, and returns its status and captured output.
pub fn tariff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tariff"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("the tariff binary runs")
}
