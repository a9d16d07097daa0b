//! Real PowerDNS for tests: started on free loopback ports, stopped on drop
//! (shared/REAL-COMPONENTS.md). Also a loopback HTTP health endpoint, a DNS query helper and
//! an HTTP proxy that can lose answers.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use catalyst_dns::{ApiKey, Client, Config};
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RData, RecordType};

const SCHEMA: &str = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";
pub const API_KEY: &str = "test-key-not-secret";

/// A port free on 127.0.0.1 for both TCP and UDP at the time of the call.
fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn pdns_binary() -> PathBuf {
    for p in ["/usr/sbin/pdns_server", "/usr/bin/pdns_server"] {
        if std::path::Path::new(p).exists() {
            return p.into();
        }
    }
    panic!(
        "pdns_server is not installed: run scripts/test, which installs pdns-server and pdns-backend-sqlite3"
    );
}

/// A running PowerDNS Authoritative server.
pub struct Pdns {
    child: Child,
    dir: PathBuf,
    pub api_port: u16,
    pub dns_port: u16,
}

impl Pdns {
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("catalyst-pdns-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let schema = std::fs::read_to_string(SCHEMA)
            .unwrap_or_else(|e| panic!("{SCHEMA}: {e}: install pdns-backend-sqlite3"));
        let db = dir.join("pdns.sqlite3");
        let mut sqlite =
            Command::new("sqlite3").arg(&db).stdin(Stdio::piped()).spawn().expect("sqlite3 is installed");
        sqlite.stdin.take().unwrap().write_all(schema.as_bytes()).unwrap();
        assert!(sqlite.wait().unwrap().success(), "sqlite3 schema load failed");
        // A free port can be taken by another process between the probe and PowerDNS's bind:
        // then PowerDNS logs "Address already in use" and starts again on other ports.
        for _attempt in 0..5 {
            let (api_port, dns_port) = (free_port(), free_port());
            let mut pdns = Self::spawn(dir.clone(), &db, api_port, dns_port);
            match pdns.wait_ready() {
                Ok(()) => return pdns,
                Err(log) if log.contains("Address already in use") => {
                    let _ = pdns.child.kill();
                    let _ = pdns.child.wait();
                    // Keep the folder (and its database) for the next attempt.
                    pdns.dir = PathBuf::new();
                }
                Err(log) => panic!("PowerDNS did not become ready; log:\n{log}"),
            }
        }
        panic!("PowerDNS found no free ports in 5 attempts");
    }

    fn spawn(dir: PathBuf, db: &std::path::Path, api_port: u16, dns_port: u16) -> Self {
        let conf = format!(
            "launch=gsqlite3\ngsqlite3-database={db}\ngsqlite3-dnssec=yes\napi=yes\napi-key={API_KEY}\nwebserver=yes\n\
             webserver-address=127.0.0.1\nwebserver-port={api_port}\nwebserver-allow-from=127.0.0.0/8,::1\n\
             local-address=127.0.0.1\nlocal-port={dns_port}\nenable-lua-records=yes\nlua-health-checks-interval=1\n\
             daemon=no\nguardian=no\ndisable-syslog=yes\nsocket-dir={dir}\nsecurity-poll-suffix=\nquery-local-address=127.0.0.1\n",
            db = db.display(),
            dir = dir.display()
        );
        std::fs::write(dir.join("pdns.conf"), conf).unwrap();
        let log = std::fs::File::create(dir.join("pdns.log")).unwrap();
        let child = Command::new(pdns_binary())
            .arg(format!("--config-dir={}", dir.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        Self { child, dir, api_port, dns_port }
    }

    /// Waits until the API answers; the log when it does not within 15 s, or when a port was
    /// already taken.
    fn wait_ready(&self) -> Result<(), String> {
        let log = || std::fs::read_to_string(self.dir.join("pdns.log")).unwrap_or_default();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if log().contains("Address already in use") {
                return Err(log());
            }
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.api_port)) {
                let req = format!("GET /api/v1/servers/localhost HTTP/1.0\r\nX-API-Key: {API_KEY}\r\n\r\n");
                let mut resp = String::new();
                if s.write_all(req.as_bytes()).is_ok()
                    && s.read_to_string(&mut resp).is_ok()
                    && resp.starts_with("HTTP/1.1 200")
                {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(log())
    }

    /// The raw body of an API GET, over a plain socket (independent of the client under test).
    pub fn api_get(&self, path: &str) -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.api_port)).unwrap();
        let req = format!("GET {path} HTTP/1.0\r\nX-API-Key: {API_KEY}\r\n\r\n");
        s.write_all(req.as_bytes()).unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        body.to_owned()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }

    /// Kills the server (SIGKILL, as a crash or an OOM kill would), keeping its database.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same ports and database (after [`Pdns::kill`]), and
    /// waits until its API answers. Panics when it cannot (a port taken meanwhile).
    pub fn start_again(&mut self) {
        let db = self.dir.join("pdns.sqlite3");
        let again = Self::spawn(self.dir.clone(), &db, self.api_port, self.dns_port);
        // The old handle is dead; keep the folder (Drop of the old value would remove it).
        let mut old = std::mem::replace(self, again);
        old.dir = PathBuf::new();
        drop(old);
        if let Err(log) = self.wait_ready() {
            panic!("PowerDNS did not start again; log:\n{log}");
        }
    }

    pub fn client(&self) -> Client {
        Client::new(Config::new(self.url()), ApiKey::new(API_KEY)).unwrap()
    }

    /// Sends one query; `dnssec_ok` sets the EDNS DO bit.
    pub fn query(&self, name: &str, rtype: RecordType, dnssec_ok: bool) -> Message {
        let mut msg = Message::new(rand_id(), MessageType::Query, OpCode::Query);
        msg.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
        let mut edns = Edns::new();
        edns.set_max_payload(4096);
        edns.set_dnssec_ok(dnssec_ok);
        msg.set_edns(edns);
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        sock.send_to(&msg.to_vec().unwrap(), ("127.0.0.1", self.dns_port)).unwrap();
        let mut buf = [0u8; 4096];
        let (n, _) = sock.recv_from(&mut buf).unwrap();
        Message::from_vec(&buf[..n]).unwrap()
    }

    /// The A/AAAA addresses answered for `name`.
    pub fn addresses(&self, name: &str, rtype: RecordType) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = self
            .query(name, rtype, false)
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::A(a) => Some(IpAddr::V4(a.0)),
                RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                _ => None,
            })
            .collect();
        out.sort();
        out
    }
}

fn rand_id() -> u16 {
    (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() % 65_535)
        as u16
}

impl Drop for Pdns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A minimal HTTP endpoint on one loopback address that answers 200 to everything.
pub struct Health {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
    pub addr: SocketAddr,
}

impl Health {
    pub fn start(ip: &str, port: u16) -> Self {
        let listener = TcpListener::bind((ip, port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        s.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
                        let mut buf = [0u8; 1024];
                        let _ = s.read(&mut buf);
                        let _ = s.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                        );
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self { stop, handle: Some(handle), addr }
    }
}

impl Drop for Health {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A port free on both loopback addresses given.
pub fn free_port_on(ips: &[&str]) -> u16 {
    loop {
        let port = free_port();
        if ips.iter().all(|ip| TcpListener::bind((*ip, port)).is_ok()) {
            return port;
        }
    }
}

/// What [`Proxy`] does with one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Act {
    /// Forward it and return the answer.
    Forward,
    /// Forward it, let the server act on it, then close the connection without answering
    /// (an answer lost on the way back).
    ForwardThenDrop,
    /// Answer with these raw bytes, without forwarding.
    Answer(Vec<u8>),
}

/// An HTTP/1.1 proxy on loopback in front of `upstream`, one request per connection, that
/// decides per request what to do; it records every request's method, path and headers.
pub struct Proxy {
    pub port: u16,
    pub seen: Arc<std::sync::Mutex<Vec<(String, String, String)>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: u16, rule: impl Fn(&str, &str, usize) -> Act + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let seen: Arc<std::sync::Mutex<Vec<(String, String, String)>>> = Arc::default();
        let (flag, log) = (stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let Ok((mut s, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                s.set_nonblocking(false).unwrap();
                let Some((head, body)) = read_request(&mut s) else { continue };
                let first = head.lines().next().unwrap_or_default().to_owned();
                let mut parts = first.split(' ');
                let (method, path) = (
                    parts.next().unwrap_or_default().to_owned(),
                    parts.next().unwrap_or_default().to_owned(),
                );
                let n = {
                    let mut l = log.lock().unwrap();
                    l.push((method.clone(), path.clone(), head.clone()));
                    l.iter().filter(|(m, p, _)| *m == method && *p == path).count()
                };
                match rule(&method, &path, n) {
                    Act::Answer(raw) => {
                        let _ = s.write_all(&raw);
                    }
                    act => {
                        let resp = forward(upstream, &head, &body);
                        if act == Act::Forward {
                            let _ = s.write_all(&resp);
                        }
                    }
                }
            }
        });
        Self { port, seen, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn read_request(s: &mut std::net::TcpStream) -> Option<(String, Vec<u8>)> {
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn forward(upstream: u16, head: &str, body: &[u8]) -> Vec<u8> {
    let mut up = std::net::TcpStream::connect(("127.0.0.1", upstream)).unwrap();
    let head: String = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect::<Vec<_>>()
        .join("\r\n");
    let head = head.trim_end_matches("\r\n").to_owned() + "\r\nConnection: close\r\n\r\n";
    up.write_all(head.as_bytes()).unwrap();
    up.write_all(body).unwrap();
    let mut resp = Vec::new();
    let _ = up.read_to_end(&mut resp);
    // Make the client open a new connection for its next request.
    let text = String::from_utf8_lossy(&resp).into_owned();
    if let Some((h, _)) = text.split_once("\r\n\r\n")
        && !h.to_ascii_lowercase().contains("connection: close")
    {
        let at = h.len();
        let mut out = resp[..at].to_vec();
        out.extend_from_slice(b"\r\nConnection: close");
        out.extend_from_slice(&resp[at..]);
        return out;
    }
    resp
}
