//! Writing to stdout: a closed pipe ends the program quietly instead of panicking.

// `println!` panics when stdout is a closed pipe (`tariff models | head`); a CLI should
// just stop, as `cat` does. These shadow the std macros for this file.
macro_rules! println {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        $crate::out::stdout_result(writeln!(std::io::stdout().lock(), $($t)*))
    }};
}

macro_rules! print {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        $crate::out::stdout_result(write!(std::io::stdout().lock(), $($t)*))
    }};
}

/// Ends the program quietly on a closed pipe; any other write error is fatal.
pub fn stdout_result(r: std::io::Result<()>) {
    match r {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: writing to stdout: {e}");
            std::process::exit(1);
        }
    }
}
