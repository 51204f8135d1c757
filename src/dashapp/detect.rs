//! Does a folder hold a Dash app? A quick look at its top-level Python
//! files for a `Dash(` made from the `dash` package.

use std::fs;
use std::path::Path;

/// Python files larger than this are not read while looking.
const MAX_READ: u64 = 1024 * 1024;

/// True when a `.py` file directly in `dir` imports dash and creates a `Dash(...)`.
pub fn holds_dash_app(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.filter_map(|e| e.ok()).any(|entry| {
        let path = entry.path();
        path.extension().is_some_and(|e| e == "py")
            && entry
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() <= MAX_READ)
            && fs::read_to_string(&path).is_ok_and(|text| creates_dash_app(&text))
    })
}

fn creates_dash_app(source: &str) -> bool {
    let imports_dash = source.lines().any(|line| {
        let line = line.trim_start();
        line.starts_with("import dash") || line.starts_with("from dash ")
    });
    imports_dash && (source.contains("Dash(") || source.contains("dash.Dash("))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sample_and_ignores_other_python() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!holds_dash_app(dir.path()));
        fs::write(dir.path().join("tool.py"), "import os\nprint('Dash(')\n").unwrap();
        assert!(!holds_dash_app(dir.path()));
        fs::write(
            dir.path().join("app.py"),
            "import dash\napp = dash.Dash(__name__)\n",
        )
        .unwrap();
        assert!(holds_dash_app(dir.path()));
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample");
        assert!(holds_dash_app(&sample));
    }
}
