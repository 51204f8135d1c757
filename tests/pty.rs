//! The real binary in a pseudo terminal: it draws the step list, runs the
//! prerequisites (here with no Docker and no AWS credentials, so they fail
//! with the sentences a user needs), quits on q with exit code 0, and gives
//! the terminal back (cooked mode, main screen, cursor shown).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::termios::LocalFlags;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 30;
const COLS: u16 = 110;

fn nz(n: u16) -> std::num::NonZeroU16 {
    std::num::NonZeroU16::new(n).expect("a size above zero")
}

struct Session {
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    fn start(home: &Path, args: &[&str]) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pseudo terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_dashdeploy"));
        cmd.args(args);
        cmd.env_clear();
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.env("TERM", "xterm-256color");
        cmd.env("HOME", home);
        cmd.env("DASHDEPLOY_STATE_DIR", home.join("state"));
        cmd.env(
            "DOCKER_HOST",
            format!("unix://{}/missing.sock", home.display()),
        );
        cmd.env("AWS_EC2_METADATA_DISABLED", "true");
        cmd.env("AWS_CONFIG_FILE", home.join("aws-config"));
        cmd.env("AWS_SHARED_CREDENTIALS_FILE", home.join("aws-credentials"));
        cmd.cwd(home);
        let child = pair.slave.spawn_command(cmd).expect("start dashdeploy");
        drop(pair.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(ROWS), nz(COLS), 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let (screen_w, raw_w) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                screen_w.lock().unwrap().process(&buf[..n]);
                raw_w.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let writer = pair.master.take_writer().expect("pty writer");
        Session {
            screen,
            raw,
            writer,
            child,
            master: pair.master,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits (bounded) until the screen shows every one of `texts`.
    fn wait_for(&self, texts: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.contents();
            if texts.iter().all(|t| screen.contains(t)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "after 30 s the screen still lacks one of {texts:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn press(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn raw_mode(&self) -> bool {
        let termios = self.master.get_termios().expect("read the pty's mode");
        !termios
            .local_flags
            .contains(LocalFlags::ICANON | LocalFlags::ECHO)
    }

    /// Waits (bounded) for the process to exit and returns its exit code.
    fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("dashdeploy did not exit within 15 s:\n{}", self.contents());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn the_wizard_shows_the_steps_explains_missing_prereqs_and_quits_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let app_dir = home.path().join("sales-dashboard");
    dashdeploy::sample::copy_to(&app_dir).unwrap();
    let mut session = Session::start(home.path(), &[app_dir.to_str().unwrap()]);
    session.wait_for(&[
        "dashdeploy ─ sales-dashboard",
        "Prerequisites",
        "Local test",
        "Registry (ECR)",
        "Network :8050",
        "Monitor",
    ]);
    session.wait_for(&[
        "missing.sock does not exist",
        "No AWS credentials were found",
        "aws configure",
        "aws sso login",
        "r retry this step",
    ]);
    assert!(session.raw_mode(), "the wizard runs in raw mode");
    // r retries the failed step: it runs again and fails again the same way.
    session.press("r");
    session.wait_for(&["retrying Prerequisites"]);
    session.press("?");
    session.wait_for(&["Log file", "dashdeploy.log"]);
    session.press("?");
    session.press("q");
    assert_eq!(session.exit_code(), 0, "{}", session.contents());
    assert!(!session.raw_mode(), "cooked mode restored after exit");
    let raw = session.raw.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&raw);
    let entered = text
        .rfind("\x1b[?1049h")
        .expect("entered the alternate screen");
    let left = text
        .rfind("\x1b[?1049l")
        .expect("left the alternate screen");
    assert!(
        left > entered,
        "left the alternate screen after entering it"
    );
    let shown = text.rfind("\x1b[?25h").expect("showed the cursor");
    assert!(shown > entered, "cursor shown at exit");
    assert!(home.path().join("state/dashdeploy.log").is_file());
}

#[test]
fn a_small_terminal_is_told_its_size_and_q_still_quits() {
    let home = tempfile::tempdir().unwrap();
    let app_dir = home.path().join("app");
    dashdeploy::sample::copy_to(&app_dir).unwrap();
    let mut session = Session::start(home.path(), &[app_dir.to_str().unwrap()]);
    // The prerequisites end (failing: no Docker, no AWS) before q, which
    // would otherwise ask first.
    session.wait_for(&["Monitor", "r retry this step"]);
    session
        .master
        .resize(PtySize {
            rows: 20,
            cols: 60,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    session
        .screen
        .lock()
        .unwrap()
        .screen_mut()
        .set_size(nz(20), nz(60));
    session.wait_for(&["at least 80×24; this one is 60×20"]);
    session.press("q");
    assert_eq!(session.exit_code(), 0);
    assert!(!session.raw_mode());
}

#[test]
fn with_no_app_the_sample_is_offered_and_copied() {
    let home = tempfile::tempdir().unwrap();
    let mut session = Session::start(home.path(), &[]);
    session.wait_for(&["Use the sample app?", "dashdeploy-sample"]);
    session.press("y");
    // The copy is done and the prerequisites have ended (failing: no Docker,
    // no AWS), so q quits without asking.
    session.wait_for(&["the sample app is in", "r retry this step"]);
    assert!(home.path().join("dashdeploy-sample/dashapp.py").is_file());
    assert!(
        home.path()
            .join("dashdeploy-sample/datasets/sales.csv")
            .is_file()
    );
    session.press("q");
    assert_eq!(session.exit_code(), 0);
}
