//! `tariff classify`: whose fault a failed request was, and what to do with its hold.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::input::read_input;

/// Classifies a failed response by status and body, with operator rules tried first.
pub fn run(status: u16, rules: &[PathBuf], json: bool, body: Option<&str>) -> Result<()> {
    let body = match body {
        None | Some("-") => read_input(None)?,
        Some(text) => text.to_string(),
    };
    let mut classifier = tariff::outcome::Classifier::builtin().clone();
    for path in rules {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let overlay = tariff::outcome::Classifier::from_toml(&text)
            .with_context(|| format!("in {}", path.display()))?;
        classifier.extend(overlay);
    }
    let outcome = classifier.classify(status, &body);
    if json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{outcome}");
    }
    Ok(())
}
