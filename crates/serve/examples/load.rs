//! A small, bounded load client for `tariff serve` (BENCHMARKS.md): C keep-alive
//! connections each send N requests one after another; prints requests/s and the p50 and
//! p99 latency. Every run is bounded by the count and by a 60 s deadline.
//!
//! ```text
//! cargo run --release -p tariff-serve --example load -- ADDR TOKEN quote|pair CONNECTIONS REQUESTS
//! cargo run --release -p tariff-serve --example load -- TARIFF_BINARY - cli WORKERS REQUESTS
//! ```
//! `quote` posts one `/v1/quote`; `pair` is a hold then a settle (admin credit first).
//! `cli` is what a relay without the service does today: one `tariff quote --json`
//! process per request (the same usage record on stdin), WORKERS at a time.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CHAT: &str = r#"{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":100}"#;

/// Sends one request on a keep-alive connection and reads the answer; returns the status.
async fn send(
    conn: &mut BufReader<TcpStream>,
    token: &str,
    path: &str,
    body: &str,
) -> std::io::Result<u16> {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(req.as_bytes()).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut buf = vec![0; len];
    conn.read_exact(&mut buf).await?;
    Ok(status)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 6 {
        eprintln!("usage: load ADDR TOKEN quote|pair CONNECTIONS REQUESTS");
        std::process::exit(2);
    }
    let (addr, token, mode) = (args[1].clone(), args[2].clone(), args[3].clone());
    let conns: usize = args[4].parse().expect("CONNECTIONS");
    let per: usize = args[5].parse().expect("REQUESTS");
    let deadline = Instant::now() + Duration::from_secs(60);
    if mode == "cli" {
        cli(&addr, conns, per, deadline);
        return;
    }
    if mode == "pair" {
        let mut c = BufReader::new(TcpStream::connect(&addr).await.expect("connect"));
        let body = format!(
            r#"{{"amount":{},"key":"load-{}"}}"#,
            u32::MAX,
            std::process::id()
        );
        let st = send(&mut c, &token, "/v1/accounts/load/credit", &body)
            .await
            .unwrap();
        assert_eq!(st, 200, "credit (the token must be an admin token)");
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (addr, token, mode) = (addr.clone(), token.clone(), mode.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = BufReader::new(TcpStream::connect(&addr).await.expect("connect"));
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                if Instant::now() > deadline {
                    break;
                }
                let t = Instant::now();
                if mode == "quote" {
                    let body = format!(
                        r#"{{"model":"gpt-4o","usage":{USAGE},"at":"2025-11-01"}}"#
                    );
                    let st = send(&mut conn, &token, "/v1/quote", &body).await.unwrap();
                    assert_eq!(st, 200);
                } else {
                    let id = format!("load-{}-{c}-{i}", std::process::id());
                    let hold = format!(
                        r#"{{"request_id":"{id}","account":"load","api":"openai-chat","model":"gpt-4o","request":"{CHAT}"}}"#
                    );
                    assert_eq!(send(&mut conn, &token, "/v1/holds", &hold).await.unwrap(), 200);
                    let settle = r#"{"usage":{"input_tokens":9,"output_tokens":12}}"#;
                    let path = format!("/v1/holds/{id}/settle");
                    assert_eq!(send(&mut conn, &token, &path, settle).await.unwrap(), 200);
                }
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    report(&mode, all, start.elapsed().as_secs_f64());
}

/// The quote request of both modes, as the CLI takes it.
const USAGE: &str = r#"{"input_tokens":1200,"output_tokens":300}"#;

/// One `tariff quote` process per request, `workers` threads each running `per` of them
/// one after another.
fn cli(binary: &str, workers: usize, per: usize, deadline: Instant) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let start = Instant::now();
    let threads: Vec<_> = (0..workers)
        .map(|_| {
            let binary = binary.to_string();
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(per);
                for _ in 0..per {
                    if Instant::now() > deadline {
                        break;
                    }
                    let t = Instant::now();
                    let mut child = Command::new(&binary)
                        .args([
                            "quote",
                            "--model",
                            "gpt-4o",
                            "--at",
                            "2025-11-01",
                            "--json",
                            "-",
                        ])
                        .stdin(Stdio::piped())
                        .stdout(Stdio::piped())
                        .stderr(Stdio::null())
                        .spawn()
                        .expect("spawn tariff");
                    child
                        .stdin
                        .take()
                        .expect("stdin")
                        .write_all(USAGE.as_bytes())
                        .expect("write usage");
                    let out = child.wait_with_output().expect("tariff quote");
                    assert!(out.status.success() && out.stdout.starts_with(b"{"));
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in threads {
        all.extend(t.join().expect("a worker"));
    }
    report("cli", all, start.elapsed().as_secs_f64());
}

/// Prints the count, the rate and the p50 and p99 latency.
fn report(mode: &str, mut all: Vec<Duration>, secs: f64) {
    all.sort();
    let pct = |p: usize| all.get(all.len() * p / 100).copied().unwrap_or_default();
    println!(
        "{mode}: {} in {secs:.2} s = {:.0}/s; p50 {:?}, p99 {:?}",
        all.len(),
        all.len() as f64 / secs,
        pct(50),
        pct(99)
    );
}
