//! A real `docker-registry` (distribution 2.8) on a free loopback port, for tests, started
//! with [`TestRegistry::start`] and killed on drop; and ECDSA P-256 keys and signatures made
//! by the openssl CLI, independently of the SDK.

use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running registry process and its storage.
#[derive(Debug)]
pub struct TestRegistry {
    child: Option<Child>,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl TestRegistry {
    /// Starts `docker-registry serve` on 127.0.0.1 with filesystem storage in a temporary
    /// directory and waits (up to 20 s) until `GET /v2/` answers 200. A missing binary is an
    /// error naming the package to install.
    pub fn start() -> io::Result<Self> {
        let dir = tempfile::tempdir()?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
            dir.path().join("data").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config)?;
        let mut registry = Self { child: None, addr, dir };
        registry.spawn()?;
        Ok(registry)
    }

    /// Starts the process again on the same address and storage (after [`TestRegistry::stop`]
    /// or a kill), and waits until it answers.
    pub fn start_again(&mut self) -> io::Result<()> {
        self.stop();
        self.spawn()
    }

    /// The process id, while it runs (to kill it from another thread, as a crash would).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn spawn(&mut self) -> io::Result<()> {
        let config_path = self.dir.path().join("config.yml");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("registry.log"))?;
        let mut cmd = Command::new("docker-registry");
        cmd.arg("serve").arg(&config_path).stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
        // REGISTRY_<SECTION>_<KEY> variables override the file: none may leak in.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REGISTRY_") {
                cmd.env_remove(key);
            }
        }
        let child = cmd.spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot start docker-registry ({e}); scripts/test installs it (apt-get install docker-registry)"),
            )
        })?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.ready() {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(io::Error::other(format!(
                    "docker-registry exited with {status}: {}",
                    self.log()
                )));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "docker-registry not ready after 20 s: {}",
                    self.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn ready(&self) -> bool {
        let Ok(mut s) = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        if s.write_all(format!("GET /v2/ HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr).as_bytes()).is_err() {
            return false;
        }
        let mut head = [0u8; 12];
        s.read_exact(&mut head).is_ok() && head.ends_with(b"200")
    }

    /// `127.0.0.1:<port>`, the registry part of references.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The storage directory (`docker/registry/v2/...` below it).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Stops the process (the storage stays until drop).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The directory holding config, log and storage.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// ECDSA P-256 key pairs made by `openssl genpkey` in a temporary folder: `<name>.key` (PKCS#8
/// PEM) and `<name>.pub` (SPKI PEM).
pub struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    /// Makes one pair per name.
    pub fn new(names: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            let key = dir.path().join(format!("{name}.key"));
            let out = Command::new("openssl")
                .args(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out"])
                .arg(&key)
                .output()
                .expect("openssl is installed (scripts/test installs it)");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let out = Command::new("openssl")
                .args(["pkey", "-pubout", "-in"])
                .arg(&key)
                .arg("-out")
                .arg(dir.path().join(format!("{name}.pub")))
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        Self { dir }
    }

    /// A file of the folder (`a.key`, `a.pub`).
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// The bytes of a file of the folder.
    pub fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.path(file)).unwrap()
    }
}

/// A DER ECDSA signature of `payload` (SHA-256) made by `openssl dgst` with `key`.
pub fn openssl_sign(key: &Path, payload: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("payload");
    let sig = dir.path().join("sig");
    std::fs::write(&data, payload).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .arg("-out")
        .arg(&sig)
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read(sig).unwrap()
}

/// A registry stand-in on loopback for what docker-registry cannot do (hang, lie, speak the
/// OCI 1.1 referrers API): each connection's request head goes to `answer`, whose bytes are
/// written back as the whole response; `None` never answers (a silent registry).
pub fn fake_registry(answer: impl Fn(&str) -> Option<Vec<u8>> + Send + Sync + 'static) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    let answer = std::sync::Arc::new(answer);
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut s = s;
                let mut buf = [0u8; 8192];
                let n = s.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                match answer(&head) {
                    Some(raw) => {
                        let _ = s.write_all(&raw);
                    }
                    None => std::thread::sleep(std::time::Duration::from_secs(120)),
                }
            });
        }
    });
    host
}

/// An HTTP/1.1 response with `body`, closing the connection.
pub fn http_response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// Which way [`KillingProxy`] counts bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the server to the client (a pull).
    Down,
    /// From the client to the server (a push).
    Up,
}

/// A TCP proxy on loopback in front of `upstream` that, once more than `after` bytes went the
/// given way, calls `kill` once (kill the server, as a crash would) and drops the connections
/// it carries. Every connection after that is forwarded as it is.
pub struct KillingProxy {
    addr: SocketAddr,
    fired: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl KillingProxy {
    pub fn start(
        upstream: SocketAddr,
        direction: Direction,
        after: u64,
        kill: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let fired = Arc::new(AtomicBool::new(false));
        let counted = Arc::new(AtomicU64::new(0));
        let kill: Arc<dyn Fn() + Send + Sync> = Arc::new(kill);
        let state = fired.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(upstream) else { continue };
                for (from, to, way) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap(), Direction::Up),
                    (server.try_clone().unwrap(), client.try_clone().unwrap(), Direction::Down),
                ] {
                    let (fired, counted, kill) = (state.clone(), counted.clone(), kill.clone());
                    std::thread::spawn(move || {
                        let (mut from, mut to) = (from, to);
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match from.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            if way == direction && !fired.load(Ordering::SeqCst) {
                                let total = counted.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
                                if total > after && !fired.swap(true, Ordering::SeqCst) {
                                    kill();
                                    break;
                                }
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = from.shutdown(std::net::Shutdown::Both);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Self { addr, fired }
    }

    /// `127.0.0.1:<port>`, the registry part of references through the proxy.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Whether it has killed.
    pub fn fired(&self) -> bool {
        self.fired.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Kills the process `pid` with SIGKILL.
pub fn kill_process(pid: u32) {
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
}
