//! A harness for driving the real Confab binary through WebDriver.
//!
//! `tauri-driver` (from `cargo install tauri-driver --locked`) speaks WebDriver on one port and
//! drives WebKitGTK's `WebKitWebDriver`, which launches the app. Each [`App::launch`] is one app
//! process; dropping or [`App::quit`]-ting it ends that process, and launching again on the same
//! [`DataDir`] is a relaunch. Tests need an X display (`xvfb-run`): without one the app cannot open
//! its window, so the harness refuses early with a clear message instead of hanging.
//!
//! The tests run one at a time even in one process with many test threads: every [`DataDir`],
//! [`App`] and [`llama::LlamaServer`] holds a [`serial::Turn`].

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

pub use fantoccini;

pub mod gateway;
pub mod llama;
pub mod serial;

use serial::Turn;

/// How long a cold app start (WebKit's first process spawn on a busy CI core) may take.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(90);
/// How long the UI may take to show something after an action.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_path_buf()
}

/// The app binary under test: `CONFAB_APP` if set, else `target/debug/confab` (honouring
/// `CARGO_TARGET_DIR`).
pub fn app_binary() -> Result<PathBuf> {
    let path = debug_binary("CONFAB_APP", "confab");
    if !path.is_file() {
        return Err(format!(
            "the app binary {} does not exist: build it first (`make test` does, or \
             `npm --prefix ui run build && cargo build -p confab`)",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// The CLI binary under test: `CONFAB_CLI` if set, else `target/debug/confab-cli` (honouring
/// `CARGO_TARGET_DIR`).
pub fn cli_binary() -> Result<PathBuf> {
    let path = debug_binary("CONFAB_CLI", "confab-cli");
    if !path.is_file() {
        return Err(format!(
            "{} is missing: build it with `cargo build -p confab-cli`",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// The path in `variable` if set, else the debug build of `name` in Cargo's target directory.
fn debug_binary(variable: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        workspace_root().join(target)
    };
    target.join("debug").join(name)
}

/// The directory where tests leave screenshots for people to look at.
pub fn artifacts_dir() -> PathBuf {
    let dir = workspace_root().join("tests").join("artifacts");
    std::fs::create_dir_all(&dir).expect("create tests/artifacts");
    dir
}

/// A data directory (database and all) that outlives app launches within one test.
pub struct DataDir {
    dir: tempfile::TempDir,
    // Last, so the directory is gone before the next test starts.
    _turn: Turn,
}

impl DataDir {
    pub fn new() -> Result<Self> {
        let turn = Turn::take();
        Ok(Self {
            dir: tempfile::Builder::new().prefix("confab-e2e-").tempdir()?,
            _turn: turn,
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A private D-Bus session bus, as a desktop session has (single-instance runs over it), stopped
/// when dropped.
pub struct SessionBus {
    child: Child,
    pub address: String,
}

impl SessionBus {
    pub fn start() -> Result<Self> {
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start dbus-daemon: {e}"))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().ok_or("no dbus-daemon stdout")?).read_line(&mut line)?;
        let address = line.trim().to_owned();
        if address.is_empty() {
            return Err("dbus-daemon printed no address".into());
        }
        Ok(Self { child, address })
    }
}

impl Drop for SessionBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One running app, reached through its own `tauri-driver`.
pub struct App {
    pub client: Client,
    /// When the WebDriver session that started the app was requested (the driver already running).
    pub launched_at: Instant,
    driver: Driver,
    // Last, so the app and its driver have stopped before the next test starts.
    _turn: Turn,
}

impl App {
    /// Starts `tauri-driver` and, through it, the app with `CONFAB_DATA_DIR` set to `data`.
    pub async fn launch(data: &DataDir) -> Result<Self> {
        Self::launch_with_env(data, &[]).await
    }

    /// Like [`App::launch`], with extra environment variables for the app.
    pub async fn launch_with_env(data: &DataDir, env: &[(&str, &str)]) -> Result<Self> {
        let app = Self::launch_binary(&app_binary()?, data, env).await?;
        app.wait_for(Locator::Css("[data-testid=new-chat]")).await?;
        Ok(app)
    }

    /// Starts `binary` (any Tauri app) the way [`App::launch_with_env`] starts Confab, and returns
    /// as soon as the WebDriver session exists, without waiting for the page.
    pub async fn launch_binary(
        binary: &Path,
        data: &DataDir,
        env: &[(&str, &str)],
    ) -> Result<Self> {
        if std::env::var_os("DISPLAY").is_none() {
            return Err(
                "no X display: run the end-to-end tests under `xvfb-run -a` (make test does)"
                    .into(),
            );
        }
        let turn = Turn::take();
        let driver = Driver::start(data.path(), env)?;
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": binary.to_string_lossy() }),
        );
        let url = format!("http://127.0.0.1:{}", driver.port);
        let launched_at = Instant::now();
        let client = tokio::time::timeout(
            LAUNCH_TIMEOUT,
            ClientBuilder::native().capabilities(caps).connect(&url),
        )
        .await
        .map_err(|_| format!("the app did not start within {LAUNCH_TIMEOUT:?}"))?
        .map_err(|e| format!("WebDriver could not start the app: {e}"))?;
        Ok(Self {
            client,
            launched_at,
            driver,
            _turn: turn,
        })
    }

    /// The process id of this app's `tauri-driver`: the app runs below it, under WebKitWebDriver.
    pub fn driver_pid(&self) -> u32 {
        self.driver.child.id()
    }

    /// Waits until an element matching `locator` exists, then returns it.
    pub async fn wait_for(&self, locator: Locator<'_>) -> Result<fantoccini::elements::Element> {
        Ok(self
            .client
            .wait()
            .at_most(UI_TIMEOUT)
            .every(Duration::from_millis(50))
            .for_element(locator)
            .await?)
    }

    /// Waits for the element with this `data-testid`, then clicks it.
    pub async fn click(&self, testid: &str) -> Result<()> {
        self.wait_for(Locator::Css(&format!("[data-testid={testid}]")))
            .await?
            .click()
            .await?;
        Ok(())
    }

    /// Starts a new chat and sends `question` from the composer (Enter).
    pub async fn new_chat_and_ask(&self, question: &str) -> Result<()> {
        self.click("new-chat").await?;
        let composer = self
            .wait_for(Locator::Css("[data-testid=composer]"))
            .await?;
        composer.send_keys(question).await?;
        composer
            .send_keys(&fantoccini::key::Key::Enter.to_string())
            .await?;
        Ok(())
    }

    /// Polls `probe` until it returns `Some`, or fails after [`UI_TIMEOUT`] with `what`.
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut probe: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>>>,
    {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            if let Some(value) = probe().await? {
                return Ok(value);
            }
            if Instant::now() > deadline {
                return Err(format!("timed out waiting for {what}").into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The text content of the elements matching a CSS selector, trimmed, in document order.
    pub async fn texts(&self, css: &str) -> Result<Vec<String>> {
        let value = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0]), e => e.textContent.trim())",
                vec![css.into()],
            )
            .await?;
        Ok(serde_json::from_value(value)?)
    }

    /// Resizes the window (its content area, as no window manager runs under Xvfb).
    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        self.client.set_window_size(width, height).await?;
        self.eventually("the window to take its new size", || async {
            let (_, _, w, h) = self.client.get_window_rect().await?;
            // The page must have laid itself out at the new size too, not just the X window.
            let inner = self
                .client
                .execute("return [window.innerWidth, window.innerHeight]", vec![])
                .await?;
            let laid_out = inner == serde_json::json!([width, height]);
            Ok((w == u64::from(width) && h == u64::from(height) && laid_out).then_some(()))
        })
        .await
    }

    /// Right-clicks `element` (a real pointer action, so the page gets a `contextmenu` event).
    pub async fn context_click(&self, element: &fantoccini::elements::Element) -> Result<()> {
        use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_RIGHT};
        let mouse = MouseActions::new("mouse".into())
            .then(PointerAction::MoveToElement {
                element: element.clone(),
                duration: None,
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_RIGHT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_RIGHT,
            });
        self.client.perform_actions(mouse).await?;
        self.client.release_actions().await?;
        Ok(())
    }

    /// Saves a PNG of the window to `tests/artifacts/<name>.png` and returns its path.
    ///
    /// WebKitWebDriver's own screenshot command hangs under Xvfb, so this grabs the window's area
    /// of the X display with ImageMagick's `import`: exactly what a person would see.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let (x, y, w, h) = self.client.get_window_rect().await?;
        let path = artifacts_dir().join(format!("{name}.png"));
        let geometry = format!("{w}x{h}+{x}+{y}");
        let status = Command::new("import")
            .args(["-window", "root", "-crop", &geometry, "+repage"])
            .arg(&path)
            .status()
            .map_err(|e| format!("could not run ImageMagick's import for a screenshot: {e}"))?;
        if !status.success() {
            return Err(format!("import failed to take a screenshot: {status}").into());
        }
        Ok(path)
    }

    /// Ends the WebDriver session, which closes the app, then stops the driver.
    pub async fn quit(self) -> Result<()> {
        let Self {
            client,
            driver,
            _turn,
            ..
        } = self;
        client.close().await?;
        drop(driver);
        Ok(())
    }
}

/// A `tauri-driver` process on free ports; stopped with SIGTERM so it also stops WebKitWebDriver.
struct Driver {
    child: Child,
    port: u16,
    /// WebKitWebDriver's port, behind `tauri-driver`'s.
    native_port: u16,
}

impl Driver {
    fn start(data_dir: &Path, env: &[(&str, &str)]) -> Result<Self> {
        let [port, native_port] = free_ports()?;
        let mut command = Command::new(tauri_driver()?);
        command
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("CONFAB_DATA_DIR", data_dir)
            // The window's remembered size and place live in the config dir: one per test.
            .env("XDG_CONFIG_HOME", data_dir.join("config"))
            // The web view's storage (localStorage: the zoom level) lives in the data dir: one per test.
            .env("XDG_DATA_HOME", data_dir.join("share"))
            // Some WebKitGTK builds paint a blank window under Xvfb with the DMA-BUF renderer.
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Some(native) = native_driver() {
            command.args(["--native-driver", &native.to_string_lossy()]);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("could not start tauri-driver: {e}"))?;
        let mut driver = Self {
            child,
            port,
            native_port,
        };
        // `tauri-driver` listens at once but spawns WebKitWebDriver beside it without waiting for
        // it: a session requested before WebKitWebDriver listens has its connection dropped
        // (hyper's `IncompleteMessage`). On a busy CI core that start takes seconds, so both wait.
        driver.wait_until_listening(driver.port, "tauri-driver")?;
        driver.wait_until_listening(driver.native_port, "WebKitWebDriver")?;
        Ok(driver)
    }

    fn wait_until_listening(&mut self, port: u16, what: &str) -> Result<()> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(
                    format!("tauri-driver exited early ({status}) before {what} listened").into(),
                );
            }
            if Instant::now() > deadline {
                return Err(
                    format!("{what} did not start listening on port {port} within 30 s").into(),
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM lets tauri-driver stop WebKitWebDriver too; SIGKILL would orphan it.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `N` distinct free ports: all are held until all are chosen, so no two are the same.
fn free_ports<const N: usize>() -> Result<[u16; N]> {
    let listeners = (0..N)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut ports = [0; N];
    for (port, listener) in ports.iter_mut().zip(&listeners) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
}

fn tauri_driver() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return Ok(PathBuf::from(path));
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(candidate) = cargo_home.map(|h| h.join("bin").join("tauri-driver")) {
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    Ok(PathBuf::from("tauri-driver"))
}

fn native_driver() -> Option<PathBuf> {
    std::env::var_os("WEBKIT_WEBDRIVER")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/WebKitWebDriver")).filter(|p| p.is_file()))
}
