//! Output files that appear whole or not at all.
//!
//! A run that fails (an unreadable log, a full disk) or is interrupted must not leave a
//! file that looks finished. Output is written to a temporary file beside the destination
//! (`.NAME.partial-PID`, same directory, so the rename cannot cross file systems) and
//! renamed over it only once complete. On an error the temporary file is removed; after a
//! kill (SIGINT, SIGKILL) only it can remain, named as partial, and the destination is
//! untouched.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A file being written; see the module docs.
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing what will become `dest`.
    pub fn create(dest: &Path) -> Result<AtomicFile> {
        let name = dest
            .file_name()
            .with_context(|| format!("{} is not a file name", dest.display()))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".partial-{}", std::process::id()));
        let tmp = dest.with_file_name(tmp_name);
        let file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(AtomicFile {
            dest: dest.to_path_buf(),
            tmp,
            out: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// Where the output goes until it is committed.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.out.as_mut().expect("not yet committed")
    }

    /// Finishes the file and puts it in place.
    pub fn commit(mut self) -> Result<()> {
        let out = self.out.take().expect("committed once");
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("writing {}", self.dest.display()))?;
        file.sync_all()
            .with_context(|| format!("writing {}", self.dest.display()))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest)
            .with_context(|| format!("moving {} into place", self.dest.display()))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            // Not committed: the run failed, and what was written is incomplete.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
