//! The build context, streamed: a tar of the app folder made on the fly in a
//! thread, honouring `.dockerignore` with Docker's rules, handed to the engine
//! in 64 KiB chunks through a bounded channel. It is never held whole in
//! memory, and it stops as soon as the build is cancelled.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

use super::ignore::DockerIgnore;

const CHUNK: usize = 64 * 1024;
/// Chunks in flight: the most of the context held in memory at once is
/// about this many times CHUNK.
const IN_FLIGHT: usize = 8;

/// What was sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContextStats {
    pub files: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    #[error("{path} cannot be read ({reason}); fix its permissions or add it to .dockerignore")]
    Unreadable { path: String, reason: String },
    #[error("{path} is a {kind}, which cannot go into an image; add it to .dockerignore")]
    Special { path: String, kind: &'static str },
    #[error(".dockerignore: {0}")]
    BadIgnore(String),
    #[error("the build was cancelled")]
    Cancelled,
}

/// Reads `dir/.dockerignore` (none: nothing is ignored).
pub fn ignore_rules(dir: &Path) -> Result<DockerIgnore, ContextError> {
    match fs::read_to_string(dir.join(".dockerignore")) {
        Ok(text) => DockerIgnore::parse(&text)
            .map(|rules| rules.keeping_build_files("Dockerfile"))
            .map_err(ContextError::BadIgnore),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(DockerIgnore::empty()),
        Err(e) => Err(ContextError::Unreadable {
            path: ".dockerignore".into(),
            reason: e.to_string(),
        }),
    }
}

/// The context of `dir` as a stream of tar chunks, and the thread's result.
pub fn stream(
    dir: PathBuf,
    ignore: DockerIgnore,
) -> (
    impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static,
    tokio::task::JoinHandle<Result<ContextStats, ContextError>>,
) {
    let (tx, rx) = mpsc::channel::<Bytes>(IN_FLIGHT);
    let writer = ChannelWriter {
        tx,
        buf: Vec::with_capacity(CHUNK),
    };
    let handle = tokio::task::spawn_blocking(move || write_tar(&dir, &ignore, writer));
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (Ok(chunk), rx))
    });
    (chunks, handle)
}

fn write_tar(
    dir: &Path,
    ignore: &DockerIgnore,
    writer: ChannelWriter,
) -> Result<ContextStats, ContextError> {
    let mut stats = ContextStats::default();
    let mut builder = tar::Builder::new(writer);
    builder.follow_symlinks(false);
    builder.mode(tar::HeaderMode::Deterministic);
    walk(dir, "", ignore, &mut |rel, path| {
        let meta = fs::symlink_metadata(path).map_err(|e| unreadable(rel, &e))?;
        builder
            .append_path_with_name(path, rel)
            .map_err(|e| io_failure(rel, &e))?;
        stats.files += 1;
        if meta.is_file() {
            stats.bytes += meta.len();
        }
        Ok(())
    })?;
    let mut writer = builder
        .into_inner()
        .map_err(|e| io_failure("the end of the context", &e))?;
    writer
        .flush()
        .map_err(|e| io_failure("the end of the context", &e))?;
    Ok(stats)
}

/// Visits every entry the context holds: folders before their contents,
/// names sorted. (The rules keep the Dockerfile and .dockerignore: the
/// engine needs them.)
fn walk(
    root: &Path,
    prefix: &str,
    ignore: &DockerIgnore,
    visit: &mut dyn FnMut(&str, &Path) -> Result<(), ContextError>,
) -> Result<(), ContextError> {
    let folder = root.join(prefix);
    let shown = if prefix.is_empty() {
        "the app folder"
    } else {
        prefix
    };
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(&folder)
        .map_err(|e| unreadable(shown, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| unreadable(shown, &e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type().map_err(|e| unreadable(&rel, &e))?;
        let excluded = ignore.excludes(&rel);
        if kind.is_dir() {
            if !excluded {
                visit(&rel, &entry.path())?;
            }
            if !excluded || ignore.may_reinclude_under(&rel) {
                walk(root, &rel, ignore, visit)?;
            }
            continue;
        }
        if excluded {
            continue;
        }
        let special = if kind.is_fifo() {
            Some("named pipe")
        } else if kind.is_socket() {
            Some("socket")
        } else if kind.is_block_device() || kind.is_char_device() {
            Some("device")
        } else {
            None
        };
        if let Some(kind) = special {
            return Err(ContextError::Special { path: rel, kind });
        }
        if kind.is_file() {
            // Opened here so an unreadable file is named before the tar is cut short.
            fs::File::open(entry.path()).map_err(|e| unreadable(&rel, &e))?;
        }
        visit(&rel, &entry.path())?;
    }
    Ok(())
}

fn unreadable(path: &str, e: &io::Error) -> ContextError {
    ContextError::Unreadable {
        path: path.to_string(),
        reason: e.to_string(),
    }
}

fn io_failure(path: &str, e: &io::Error) -> ContextError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        ContextError::Cancelled
    } else {
        unreadable(path, e)
    }
}

/// Writes the tar into the channel in chunks; a closed channel (the build
/// ended or was cancelled) is a broken pipe.
struct ChannelWriter {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(chunk)
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
