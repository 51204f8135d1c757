//! Analysis of an app folder of 10,000 files (goal: under 200 ms): the
//! bundled sample plus 200 Python modules and 9,790 data and asset files in
//! nested folders. Prints figures; asserts nothing.
//!
//! Run with `cargo bench --bench app_analysis`.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration, Instant};

fn make_app(root: &Path) -> std::io::Result<usize> {
    let mut files = 0;
    for (path, bytes) in dashdeploy::sample::FILES {
        let target = root.join(path);
        std::fs::create_dir_all(target.parent().unwrap_or(root))?;
        std::fs::write(target, bytes)?;
        files += 1;
    }
    for i in 0..200 {
        let dir = root.join(format!("apps/section{}", i % 20));
        std::fs::create_dir_all(&dir)?;
        let module = format!(
            "import pandas as pd\nfrom dash import html, dcc\n\n\ndef layout_{i}():\n    data = pd.read_csv(\"datasets/part{i}.csv\")\n    return html.Div([html.H2(\"Part {i}\"), dcc.Graph(id=\"g{i}\")])\n"
        );
        std::fs::write(dir.join(format!("part{i}.py")), module)?;
        files += 1;
    }
    let mut i = 0;
    while files < 10_000 {
        let dir = root.join(format!("assets/set{}/sub{}", i % 50, i % 7));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("file{i}.csv")), "a,b\n1,2\n")?;
        files += 1;
        i += 1;
    }
    Ok(files)
}

fn main() {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("no temporary folder: {e}");
            std::process::exit(1);
        }
    };
    let files = match make_app(dir.path()) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("could not make the test folder: {e}");
            std::process::exit(1);
        }
    };
    let mut samples: Vec<Duration> = Vec::new();
    let mut seen = 0;
    for _ in 0..12 {
        let start = Instant::now();
        match dashdeploy::dashapp::analysis::analyze(dir.path(), None) {
            Ok(analysis) => seen = analysis.files,
            Err(e) => {
                eprintln!("analysis failed: {e}");
                std::process::exit(1);
            }
        }
        samples.push(start.elapsed());
    }
    // The first run warms the page cache; report the rest.
    let mut warm: Vec<Duration> = samples[1..].to_vec();
    warm.sort();
    println!(
        "app analysis, {files} files ({seen} seen, 206 Python): first {:.1} ms, median {:.1} ms, max {:.1} ms (n={})",
        samples[0].as_secs_f64() * 1e3,
        warm[warm.len() / 2].as_secs_f64() * 1e3,
        warm[warm.len() - 1].as_secs_f64() * 1e3,
        warm.len()
    );
}
