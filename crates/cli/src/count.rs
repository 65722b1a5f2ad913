//! `tariff count`: exact token counts for models with a public tokenizer.

use anyhow::{bail, Context, Result};
use tariff::tokens::Encoding;

/// Counts the tokens of the input with the model's (or the named) encoding.
pub fn run(
    model: Option<&str>,
    encoding: Option<&str>,
    json: bool,
    file: Option<&str>,
) -> Result<()> {
    let enc = match (encoding, model) {
        (Some(name), _) => Encoding::from_name(name).with_context(|| {
            format!("unknown encoding `{name}`; encodings: o200k_base, o200k_harmony, cl100k_base")
        })?,
        (None, Some(m)) => Encoding::for_model(m).with_context(|| {
            format!("no exact tokenizer is known for model `{m}`; pass --encoding to choose one")
        })?,
        (None, None) => bail!("--model or --encoding is required"),
    };
    // Streamed: memory follows the longest pre-token piece, not the length of the text.
    let n = match file {
        None | Some("-") => enc.count_reader(std::io::stdin().lock()),
        Some(path) => {
            let f = std::fs::File::open(path).with_context(|| format!("opening {path}"))?;
            enc.count_reader(f)
        }
    }
    .with_context(|| match file {
        None | Some("-") => "reading stdin".to_string(),
        Some(path) => format!("reading {path}"),
    })?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "model": model, "encoding": enc.name(), "tokens": n })
        );
    } else {
        println!("{n}");
    }
    Ok(())
}
