//! Every answer under `tests/fixtures/responses/` read as every family: a family that is
//! not the answer's own refuses it (`WrongFamily`, or another typed error), or meters
//! exactly what its own family meters. A request fixture is not an answer: every family
//! refuses it.

use std::path::PathBuf;

use tariff::extract::{extract, extract_any, Api};

fn fixtures() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/responses");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn no_answer_is_metered_as_another_family() {
    let mut problems = Vec::new();
    for path in fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let raw = std::fs::read(&path).unwrap();
        let is_request = name.contains("request");
        // A relay may wrap a whole JSON answer in one event: the wrapped answer must be
        // told apart as well.
        let wrapped = (raw.first() == Some(&b'{')).then(|| {
            let mut w = Vec::new();
            for line in raw.split(|b| *b == b'\n') {
                w.extend_from_slice(b"data: ");
                w.extend_from_slice(line);
                w.push(b'\n');
            }
            w.push(b'\n');
            w
        });
        for bytes in std::iter::once(raw).chain(wrapped) {
            let name = format!(
                "{name}{}",
                if bytes.starts_with(b"data: {") {
                    " (as one event)"
                } else {
                    ""
                }
            );
            let mut accepted: Vec<(Api, String)> = Vec::new();
            for api in Api::ALL {
                for (how, result) in [
                    ("extract_any", extract_any(api, &bytes)),
                    ("extract", extract(api, &bytes)),
                ] {
                    if let Ok(u) = result {
                        let json = u.to_json();
                        if !accepted.iter().any(|(a, j)| *a == api && *j == json) {
                            accepted.push((api, json));
                        }
                        let _ = how;
                    }
                }
            }
            if is_request {
                if !accepted.is_empty() {
                    problems.push(format!("{name} (a request) is metered as {accepted:?}"));
                }
                continue;
            }
            if let Some((_, first)) = accepted.first() {
                if accepted.iter().any(|(_, j)| j != first) {
                    problems.push(format!("{name} meters differently: {accepted:?}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
