//! The JSON paths of the extractors' errors, against a path tracker's.

use crate::family::meter_with_request as extract_with_request;
use crate::request::Api;

/// Every fixture answer, read as every family, whole and mutated: wherever a parse fails,
/// `parse` and `Usage::from_json` check (in test builds) that the path found here is the
/// tracker's, and panic if not.
#[test]
fn paths_agree_on_mutated_fixtures_of_every_family() {
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/tests/fixtures/responses"
    ))];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(std::fs::read(p).unwrap());
            }
        }
    }
    assert!(files.len() > 50);
    let mut failures = 0usize;
    for body in &files {
        let stride = (body.len() / 24).max(1);
        let mut variants = vec![body.clone()];
        for p in (0..body.len()).step_by(stride) {
            variants.push(body[..p].to_vec());
            let mut cut = body.clone();
            cut.remove(p);
            variants.push(cut);
            for b in [b'"', b'x', b'7', b'{', b']', b',', b'-'] {
                let mut v = body.clone();
                v[p] = b;
                variants.push(v);
            }
        }
        for v in &variants {
            for api in Api::ALL {
                failures += usize::from(extract_with_request(api, v, None).is_err());
                failures += usize::from(extract_with_request(api, b"{}", Some(v)).is_err());
            }
            if let Ok(text) = std::str::from_utf8(v) {
                failures += usize::from(crate::usage::Usage::from_json(text).is_err());
            }
        }
    }
    // Most of these fail (a body read as another family, a broken one): each failure
    // parsed as JSON was checked.
    assert!(failures > 10_000, "{failures}");
}
