//! `tariff classify`: whose fault a failed request was, and what to do with its hold.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::input::{read_input, read_text_file};

/// Classifies a failed response by status and body, with operator rules tried first. The
/// body is `--body TEXT`, or read from `file` (stdin for `-` or nothing), like every other
/// command's input.
pub fn run(
    status: u16,
    rules: &[PathBuf],
    json: bool,
    inline: Option<String>,
    file: Option<&str>,
) -> Result<()> {
    let body = match (inline, file) {
        (Some(text), _) => text,
        (None, Some(path)) if path != "-" && !std::path::Path::new(path).exists() => {
            // Before `--body`, the argument was the body itself: say so rather than
            // classify a missing file's name.
            bail!(
                "no such file `{path}`; to classify text given on the command line use --body TEXT"
            )
        }
        (None, file) => read_input(file)?,
    };
    let mut classifier = tariff::outcome::Classifier::builtin().clone();
    for path in rules {
        let overlay = tariff::outcome::Classifier::from_toml(&read_text_file(path)?)
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
