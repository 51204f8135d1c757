//! What the app reads from its environment, found with the same Python
//! parser as the rest of the analysis: `os.environ["X"]`,
//! `os.environ.get("X")`, `os.getenv("X")`, `environ.get` and `getenv`
//! after `from os import …`, and `decouple.config("X")`; and whether it
//! loads a `.env` file (`load_dotenv()`, `dotenv_values()`). A subscript,
//! or `config("X")` without a default, fails when the variable is missing:
//! the app needs it.

use tree_sitter::Node;

use super::python::{Source, callee_name, walk};

/// One read of a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRead {
    pub name: String,
    /// The app fails without it (a subscript, `config()` without default).
    pub required: bool,
    pub line: usize,
}

/// Everything one module reads from the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvFacts {
    pub reads: Vec<EnvRead>,
    /// It calls `load_dotenv()` or `dotenv_values()`.
    pub loads_dotenv: bool,
    /// Lines where a `.env` file is read into a dict with `dotenv_values()`
    /// and that dict alone is read: the image has no `.env`, so in the
    /// cloud such reads get nothing whatever the environment holds.
    pub file_only_reads: Vec<usize>,
}

/// The environment reads of one module.
pub fn read(source: &Source) -> EnvFacts {
    let mut facts = EnvFacts::default();
    let dicts = dotenv_dicts(source);
    walk(source.root(), &mut |node| match node.kind() {
        "subscript" => subscript(source, node, &dicts, &mut facts),
        "call" => call(source, node, &dicts, &mut facts),
        _ => {}
    });
    facts
}

/// Names assigned `dotenv_values(...)` (possibly merged with the
/// environment: `{**dotenv_values(), **os.environ}`), each with whether
/// the environment is merged in.
fn dotenv_dicts(source: &Source) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    walk(source.root(), &mut |node| {
        if node.kind() != "assignment" {
            return;
        }
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return;
        };
        let text = source.text_of(right);
        if left.kind() == "identifier" && text.contains("dotenv_values(") {
            let merged = text.contains("os.environ") || text.contains("**environ");
            out.push((source.text_of(left).to_string(), merged));
        }
    });
    out
}

/// `os.environ["X"]`, `environ["X"]`, and `config["X"]` of a
/// `config = dotenv_values()`.
fn subscript(source: &Source, node: Node, dicts: &[(String, bool)], facts: &mut EnvFacts) {
    let Some(value) = node.child_by_field_name("value") else {
        return;
    };
    let target = source.text_of(value).replace(char::is_whitespace, "");
    let dict = dicts.iter().find(|(name, _)| *name == target);
    if target != "os.environ" && target != "environ" && dict.is_none() {
        return;
    }
    if let Some((_, false)) = dict {
        facts.file_only_reads.push(node.start_position().row + 1);
    }
    let Some(key) = node.child_by_field_name("subscript") else {
        return;
    };
    // An assignment (`os.environ["X"] = …`) sets it, it does not read it.
    let assigned = node.parent().is_some_and(|p| {
        matches!(p.kind(), "assignment" | "augmented_assignment")
            && p.child_by_field_name("left")
                .is_some_and(|l| l.id() == node.id())
    });
    if let Some(name) = source.string_value(key).filter(|_| !assigned) {
        facts.reads.push(EnvRead {
            name,
            required: true,
            line: node.start_position().row + 1,
        });
    }
}

fn call(source: &Source, node: Node, dicts: &[(String, bool)], facts: &mut EnvFacts) {
    let Some(callee) = callee_name(source, node) else {
        return;
    };
    let dict = callee
        .strip_suffix(".get")
        .and_then(|d| dicts.iter().find(|(name, _)| name == d));
    if let Some((_, false)) = dict {
        facts.file_only_reads.push(node.start_position().row + 1);
    }
    let last = callee.rsplit('.').next().unwrap_or(&callee);
    if matches!(last, "load_dotenv" | "dotenv_values" | "find_dotenv") {
        facts.loads_dotenv = true;
        return;
    }
    let reads = matches!(
        callee.as_str(),
        "os.environ.get" | "environ.get" | "os.getenv" | "getenv"
    ) || dict.is_some();
    let decouple = matches!(callee.as_str(), "config" | "decouple.config");
    if !reads && !decouple {
        return;
    }
    let Some(args) = node.child_by_field_name("arguments") else {
        return;
    };
    let mut cursor = args.walk();
    let given: Vec<Node> = args
        .named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .collect();
    let Some(name) = given.first().and_then(|first| source.string_value(*first)) else {
        return;
    };
    // decouple raises UndefinedValueError without a default.
    let required = decouple
        && given.len() == 1
        && !given.iter().any(|a| {
            a.kind() == "keyword_argument"
                && a.child_by_field_name("name")
                    .is_some_and(|n| source.text_of(n) == "default")
        });
    facts.reads.push(EnvRead {
        name,
        required,
        line: node.start_position().row + 1,
    });
}

/// The environment variable a crash at start names in the app's output:
/// `KeyError: 'NAME'` raised by `os.environ[...]`, or decouple's
/// `UndefinedValueError: NAME not found`.
pub fn crash_variable(log: &str) -> Option<String> {
    let is_name =
        |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if let Some(at) = log.rfind("UndefinedValueError: ") {
        let name = log[at + "UndefinedValueError: ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or_default();
        if is_name(name) {
            return Some(name.to_string());
        }
    }
    let at = log.rfind("KeyError: '")?;
    let name = log[at + "KeyError: '".len()..].split('\'').next()?;
    let from_environ = log.contains("environ") || log.contains("os.py");
    (from_environ && is_name(name)).then(|| name.to_string())
}

/// Names that look like secrets (a key, a token, a password, a database
/// URL): they default to being kept as a secret, not a plain value.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    const WORDS: [&str; 9] = [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "DSN",
        "DATABASE_URL",
        "PRIVATE",
    ];
    WORDS.iter().any(|w| upper.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(code: &str) -> EnvFacts {
        let source = Source::parse("app.py", code.to_string()).unwrap();
        read(&source)
    }

    #[test]
    fn every_way_of_reading_the_environment_is_found() {
        let facts = reads(
            "import os\nfrom os import environ, getenv\nfrom decouple import config\nfrom dotenv import load_dotenv\n\
             load_dotenv()\n\
             DB = os.environ[\"DATABASE_URL\"]\n\
             TOKEN = os.environ.get(\"MAPBOX_TOKEN\", \"\")\n\
             DEBUG = os.getenv(\"DEBUG\")\n\
             REGION = environ.get('REGION')\n\
             PORT = getenv(\"PORT\", \"8050\")\n\
             KEY = config(\"API_KEY\")\n\
             LEVEL = config(\"LOG_LEVEL\", default=\"info\")\n\
             NAME = environ[\"APP_NAME\"]\n\
             os.environ[\"SET_HERE\"] = \"1\"\n",
        );
        assert!(facts.loads_dotenv);
        let got: Vec<(&str, bool, usize)> = facts
            .reads
            .iter()
            .map(|r| (r.name.as_str(), r.required, r.line))
            .collect();
        assert_eq!(
            got,
            [
                ("DATABASE_URL", true, 6),
                ("MAPBOX_TOKEN", false, 7),
                ("DEBUG", false, 8),
                ("REGION", false, 9),
                ("PORT", false, 10),
                ("API_KEY", true, 11),
                ("LOG_LEVEL", false, 12),
                ("APP_NAME", true, 13),
            ]
        );
    }

    #[test]
    fn a_dotenv_values_dict_is_read_like_the_environment_and_said_to_be_file_only() {
        let facts = reads(
            "from dotenv import dotenv_values\nimport os\n\
             config = dotenv_values(\".env\")\n\
             KEY = config[\"API_KEY\"]\n\
             MODE = config.get(\"MODE\", \"dev\")\n\
             merged = {**dotenv_values(), **os.environ}\n\
             DB = merged[\"DATABASE_URL\"]\n",
        );
        let got: Vec<(&str, bool)> = facts
            .reads
            .iter()
            .map(|r| (r.name.as_str(), r.required))
            .collect();
        assert_eq!(
            got,
            [("API_KEY", true), ("MODE", false), ("DATABASE_URL", true)]
        );
        assert_eq!(
            facts.file_only_reads,
            [4, 5],
            "the merged dict sees the environment"
        );
    }

    #[test]
    fn secret_looking_names() {
        for name in [
            "MAPBOX_TOKEN",
            "API_KEY",
            "DATABASE_URL",
            "db_password",
            "SENTRY_DSN",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["DEBUG", "REGION", "PORT", "LOG_LEVEL"] {
            assert!(!looks_secret(name), "{name}");
        }
    }
}
