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
}

/// The environment reads of one module.
pub fn read(source: &Source) -> EnvFacts {
    let mut facts = EnvFacts::default();
    walk(source.root(), &mut |node| match node.kind() {
        "subscript" => subscript(source, node, &mut facts),
        "call" => call(source, node, &mut facts),
        _ => {}
    });
    facts
}

/// `os.environ["X"]`, `environ["X"]`.
fn subscript(source: &Source, node: Node, facts: &mut EnvFacts) {
    let Some(value) = node.child_by_field_name("value") else {
        return;
    };
    let target = source.text_of(value).replace(char::is_whitespace, "");
    if target != "os.environ" && target != "environ" {
        return;
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

fn call(source: &Source, node: Node, facts: &mut EnvFacts) {
    let Some(callee) = callee_name(source, node) else {
        return;
    };
    let last = callee.rsplit('.').next().unwrap_or(&callee);
    if matches!(last, "load_dotenv" | "dotenv_values" | "find_dotenv") {
        facts.loads_dotenv = true;
        return;
    }
    let reads = matches!(
        callee.as_str(),
        "os.environ.get" | "environ.get" | "os.getenv" | "getenv"
    );
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

/// The names a `.env`-style file sets (`NAME=value`, `export NAME=value`),
/// never their values.
pub fn names_in_dotenv(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (name, _) = l.split_once('=')?;
            let name = name.trim();
            (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .then(|| name.to_string())
        })
        .collect()
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
    fn secret_looking_names_and_dotenv_names() {
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
        assert_eq!(
            names_in_dotenv(
                "# comment\nTOKEN=abc\nexport DB_URL = postgres://x\n\nnot a line\nBAD NAME=1\n"
            ),
            ["TOKEN", "DB_URL"]
        );
    }
}
