//! The text fields of a `multipart/form-data` body, as image edits and variations send
//! their requests. Only what pricing needs is read: named fields without a file name.
//! File parts (the images and masks themselves) are skipped whole, whatever their bytes.

/// The text fields of a multipart body, in order, or `None` when the body is not one.
///
/// The boundary is taken from the body's first line (`--BOUNDARY`), so the request's
/// headers are not needed.
pub(super) fn fields(body: &[u8]) -> Option<Vec<(String, String)>> {
    let parts = parts(body)?;
    Some(
        parts
            .into_iter()
            .filter(|p| p.filename.is_none())
            .filter_map(|p| Some((p.name?, String::from_utf8_lossy(p.value).trim().to_string())))
            .collect(),
    )
}

/// The bytes of the file part named `name` (e.g. a transcription's `file`), untrimmed.
/// `None` when the body is not multipart or has no such file part.
pub(crate) fn file<'a>(body: &'a [u8], name: &str) -> Option<&'a [u8]> {
    parts(body)?
        .into_iter()
        .find(|p| p.filename.is_some() && p.name.as_deref() == Some(name))
        .map(|p| p.value)
}

/// One part of a multipart body: its name, its file name if it is a file, its value.
struct FormPart<'a> {
    name: Option<String>,
    filename: Option<String>,
    value: &'a [u8],
}

/// The parts of a multipart body, in order.
fn parts(body: &[u8]) -> Option<Vec<FormPart<'_>>> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let body = &body[start..];
    let first_end = body.iter().position(|&b| b == b'\n')?;
    let first = body[..first_end]
        .strip_suffix(b"\r")
        .unwrap_or(&body[..first_end]);
    let boundary = first.strip_prefix(b"--")?;
    if boundary.is_empty() || boundary.iter().any(u8::is_ascii_whitespace) {
        return None;
    }
    let mut delimiter = b"\n--".to_vec();
    delimiter.extend_from_slice(boundary);

    let mut out = Vec::new();
    let mut rest = &body[first_end + 1..];
    loop {
        let end = find(rest, &delimiter);
        let part = &rest[..end.unwrap_or(rest.len())];
        let part = part.strip_suffix(b"\r").unwrap_or(part);
        if let Some(p) = form_part(part) {
            out.push(p);
        }
        match end {
            // `--BOUNDARY--` closes the body; anything after it is epilogue.
            Some(i) if !rest[i + delimiter.len()..].starts_with(b"--") => {
                let after = &rest[i + delimiter.len()..];
                let nl = after.iter().position(|&b| b == b'\n')?;
                rest = &after[nl + 1..];
            }
            _ => break,
        }
    }
    Some(out)
}

/// One part: its headers, a blank line, its value. `None` without a Content-Disposition.
fn form_part(part: &[u8]) -> Option<FormPart<'_>> {
    let (head, value) = match find(part, b"\r\n\r\n") {
        Some(i) => (&part[..i], &part[i + 4..]),
        None => {
            let i = find(part, b"\n\n")?;
            (&part[..i], &part[i + 2..])
        }
    };
    let head = String::from_utf8_lossy(head);
    let disposition = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
    let mut p = FormPart {
        name: None,
        filename: None,
        value,
    };
    for param in disposition.split(';').skip(1) {
        let Some((k, v)) = param.trim().split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_string();
        match k.trim().to_ascii_lowercase().as_str() {
            "name" => p.name = Some(v),
            "filename" => p.filename = Some(v),
            _ => {}
        }
    }
    Some(p)
}

/// The first occurrence of `needle`: file parts run to megabytes, so a vectorized search.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    memchr::memmem::find(hay, needle)
}

#[cfg(test)]
mod tests {
    use super::fields;

    #[test]
    fn reads_text_fields_and_skips_files() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ndall-e-2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ\r\nContent-Disposition: form-data; name=\"size\"\r\n\r\n512x512\r\n--XyZ\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n3\r\n--XyZ--\r\n";
        assert_eq!(
            fields(body).unwrap(),
            vec![
                ("model".to_string(), "dall-e-2".to_string()),
                ("size".to_string(), "512x512".to_string()),
                ("n".to_string(), "3".to_string()),
            ]
        );
    }

    #[test]
    fn bare_newlines_are_accepted() {
        let body = b"--b\nContent-Disposition: form-data; name=\"n\"\n\n2\n--b--\n";
        assert_eq!(fields(body).unwrap(), vec![("n".into(), "2".into())]);
    }

    #[test]
    fn json_is_not_multipart() {
        assert!(fields(br#"{"model":"dall-e-3"}"#).is_none());
        assert!(fields(b"--\r\n").is_none());
        assert!(fields(b"").is_none());
    }
}
