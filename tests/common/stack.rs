//! The test stack (scripts/test-stack): finding it, and failing loudly when
//! it is not there. Tests that need it call [`require`] first.
#![allow(dead_code)]

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

pub const MISSING: &str = "test stack not running: run scripts/test-stack up";

/// What the stack's `env` exported, and this test's turn on it.
#[derive(Debug, Clone)]
pub struct Stack {
    pub docker_host: String,
    pub endpoint: String,
    pub base_image: String,
    pub registry: String,
    /// Held for as long as the test has the stack.
    pub turn: Option<Arc<Turn>>,
}

/// The stack from this process's environment, checked to be answering,
/// shared with the tests running beside this one.
pub fn require() -> Stack {
    with_turn(false)
}

/// The stack for a test that breaks a shared piece of it on purpose: it
/// waits for the tests running now, and none starts until it ends.
pub fn require_alone() -> Stack {
    with_turn(true)
}

fn with_turn(alone: bool) -> Stack {
    // A test that already holds a turn (a helper calling require again)
    // keeps it: waiting for a second one could wait for itself.
    let turn = if HELD.with(Cell::get) {
        None
    } else {
        Some(Arc::new(Turn::take(alone)))
    };
    match find(|name| std::env::var(name).ok()) {
        Ok(stack) => Stack { turn, ..stack },
        Err(reason) => panic!("{MISSING} ({reason})"),
    }
}

struct Turns {
    shared: usize,
    alone: bool,
    waiting_alone: usize,
}

static TURNS: Mutex<Turns> = Mutex::new(Turns {
    shared: 0,
    alone: false,
    waiting_alone: 0,
});
static FREED: Condvar = Condvar::new();

thread_local! {
    static HELD: Cell<bool> = const { Cell::new(false) };
}

/// One test's turn on the stack, shared or alone; given back when dropped
/// (a failed assertion too).
#[derive(Debug)]
pub struct Turn {
    alone: bool,
}

impl Turn {
    fn take(alone: bool) -> Turn {
        let mut turns = TURNS.lock().unwrap_or_else(PoisonError::into_inner);
        if alone {
            turns.waiting_alone += 1;
            while turns.alone || turns.shared > 0 {
                turns = FREED.wait(turns).unwrap_or_else(PoisonError::into_inner);
            }
            turns.waiting_alone -= 1;
            turns.alone = true;
        } else {
            // A test waiting to be alone goes first.
            while turns.alone || turns.waiting_alone > 0 {
                turns = FREED.wait(turns).unwrap_or_else(PoisonError::into_inner);
            }
            turns.shared += 1;
        }
        HELD.with(|held| held.set(true));
        Turn { alone }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut turns = TURNS.lock().unwrap_or_else(PoisonError::into_inner);
        if self.alone {
            turns.alone = false;
        } else {
            turns.shared -= 1;
        }
        HELD.with(|held| held.set(false));
        FREED.notify_all();
    }
}

/// Reads the stack's variables through `var` and checks each piece answers.
pub fn find(var: impl Fn(&str) -> Option<String>) -> Result<Stack, String> {
    let get = |name: &str| {
        var(name)
            .filter(|v| !v.is_empty())
            .ok_or(format!("{name} is not set"))
    };
    get("DASHDEPLOY_TEST_STACK")?;
    let stack = Stack {
        docker_host: get("DOCKER_HOST")?,
        endpoint: get("AWS_ENDPOINT_URL")?,
        base_image: get("DASHDEPLOY_TEST_BASE_IMAGE")?,
        registry: get("DASHDEPLOY_TEST_REGISTRY")?,
        turn: None,
    };
    let socket = stack.docker_host.strip_prefix("unix://").ok_or(format!(
        "DOCKER_HOST={} is not a unix socket",
        stack.docker_host
    ))?;
    if !std::path::Path::new(socket).exists() {
        return Err(format!("no Docker socket at {socket}"));
    }
    let emulator = stack
        .endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    connect(&emulator)
        .map_err(|e| format!("the AWS emulator at {emulator} does not answer: {e}"))?;
    connect(&format!("{}:443", stack.registry)).map_err(|e| {
        format!(
            "the registry at {}:443 does not answer: {e}",
            stack.registry
        )
    })?;
    Ok(stack)
}

fn connect(addr: &str) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs().map_err(|e| e.to_string())?.collect();
    let first = addrs.first().ok_or("no address")?;
    TcpStream::connect_timeout(first, Duration::from_secs(3)).map_err(|e| e.to_string())
}

/// A name no other test run uses: `prefix-<pid>-<micros>`.
pub fn unique(prefix: &str) -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() % 1_000_000_000)
        .unwrap_or(0);
    format!("{prefix}-{}-{micros}", std::process::id())
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// One plain HTTP/1.0 GET (loopback only): status code and body.
pub fn http_get(host: &str, port: u16, path: &str) -> Result<(u16, String), String> {
    assert!(
        host.starts_with("127."),
        "tests only send traffic to loopback, not {host}"
    );
    get_from(&format!("{host}:{port}"), &format!("{host}:{port}"), path)
}

/// One plain HTTP/1.0 GET of `http://<name>/<path>`, where `name` is a load
/// balancer's DNS name that the stack maps to a loopback address in
/// /etc/hosts (a name that resolves elsewhere is refused, never asked).
pub fn http_get_name(name: &str, path: &str) -> Result<(u16, String), String> {
    let addrs: Vec<SocketAddr> = (name, 80)
        .to_socket_addrs()
        .map_err(|e| format!("{name} does not resolve: {e}"))?
        .collect();
    let first = addrs.first().ok_or(format!("{name} has no address"))?;
    assert!(
        first.ip().is_loopback(),
        "tests only send traffic to loopback, and {name} resolves to {first}"
    );
    get_from(&first.to_string(), name, path)
}

fn get_from(addr: &str, host: &str, path: &str) -> Result<(u16, String), String> {
    let mut stream = connect(addr)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP response: {:.80}", response))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Polls `GET /` until it answers 200 with a Dash page, for at most `limit`.
pub fn wait_for_dash_page(host: &str, port: u16, limit: Duration) -> Result<String, String> {
    let deadline = Instant::now() + limit;
    let mut last = String::from("no answer yet");
    while Instant::now() < deadline {
        match http_get(host, port, "/") {
            Ok((200, body)) if dashdeploy::http_probe::is_dash_page(&body) => return Ok(body),
            Ok((status, body)) => last = format!("HTTP {status}: {:.120}", body),
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(format!(
        "http://{host}:{port}/ gave no Dash page within {} s; last: {last}",
        limit.as_secs()
    ))
}

/// Keys of another account (111111111111) than the stack's, as the
/// emulator hands them out for an assumed role: what a shell may hold in
/// its environment while the user means another account.
pub async fn other_account_keys() -> aws_sdk_sts::types::Credentials {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    aws_sdk_sts::Client::new(&config)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/other")
        .role_session_name("dashdeploy-tests")
        .send()
        .await
        .unwrap()
        .credentials()
        .unwrap()
        .clone()
}
