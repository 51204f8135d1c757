//! The app's settings in the cloud: each variable the app reads from its
//! environment (or that dashdeploy.toml names) is a plain value, kept in
//! dashdeploy.toml's `[env]` and put in the task definition; a secret,
//! named in `secrets` and kept in SSM Parameter Store, its value read at
//! deploy time from the shell, a `.env` file of the folder or what was
//! typed in the wizard; or left unset. Secret values live only in memory
//! ([`Secret`]): nothing here prints, logs or writes one.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::dashapp::analysis::EnvVar;
use crate::dashapp::{dotenv, env_reads};
use crate::secret::Secret;
use crate::store::config::AppConfig;

/// How a variable reaches the app in the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A plain value in the task definition.
    Plain,
    /// A secret in Parameter Store, handed over by ECS at start.
    Secret,
    /// Not set: the app's own default applies.
    Unset,
}

/// Where a variable's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `[env]` in dashdeploy.toml (a plain value).
    Toml,
    /// Typed in the wizard.
    Typed,
    /// The shell dashdeploy runs in.
    Shell,
    /// A `.env` file of the folder.
    File(String),
    /// Only Parameter Store, where an earlier deploy put it.
    Stored,
    /// Nowhere.
    Nowhere,
}

impl Source {
    pub fn label(&self) -> String {
        match self {
            Source::Toml => "dashdeploy.toml".into(),
            Source::Typed => "the wizard (typed there)".into(),
            Source::Shell => "the shell's environment".into(),
            Source::File(file) => file.clone(),
            Source::Stored => "Parameter Store (an earlier deploy)".into(),
            Source::Nowhere => "nowhere".into(),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

/// One variable: how it reaches the app and where its value comes from,
/// never a secret's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub name: String,
    /// The app fails without it.
    pub required: bool,
    /// `file:line` of each read (none for one only dashdeploy.toml names).
    pub read_at: Vec<String>,
    pub kind: Kind,
    pub source: Source,
    /// A plain value (kept in dashdeploy.toml, shown).
    #[serde(skip)]
    pub plain: Option<String>,
    /// Its value on this machine (typed, the shell's or a `.env` file's),
    /// in memory only: what the wizard turns into a plain value or a
    /// secret when the user switches how it is given.
    #[serde(skip)]
    pub local: Option<Secret>,
    /// dashdeploy.toml says how it is given already.
    pub declared: bool,
    /// Its name looks like a secret's (a key, a token, a password…).
    pub looks_secret: bool,
    /// A `.env` file (not an example) sets it.
    pub in_dotenv: bool,
    /// The shell has it set.
    pub in_environment: bool,
}

impl Setting {
    /// The app requires it, and nothing gives it a value.
    pub fn missing(&self) -> bool {
        self.required
            && match self.kind {
                Kind::Unset => true,
                Kind::Plain => self.plain.is_none(),
                Kind::Secret => self.source == Source::Nowhere,
            }
    }

    /// `secret` in `plan --json`: it goes to Parameter Store.
    pub fn secret(&self) -> bool {
        self.kind == Kind::Secret
    }

    /// Where the app reads it, for a sentence: `app.py:3`, or dashdeploy.toml.
    pub fn where_read(&self) -> String {
        if self.read_at.is_empty() {
            "named in dashdeploy.toml".into()
        } else {
            format!("read at {}", self.read_at.join(", "))
        }
    }
}

/// The `.env` files whose values count, most authoritative first; examples
/// (`.env.example`, `.env.sample`, …) hold placeholders and never count.
const DOTENV_FILES: [&str; 4] = [".env.production", ".env.prod", ".env", ".env.local"];

/// The values this machine has: the shell's, and the folder's `.env` files'.
#[derive(Debug, Clone, Default)]
pub struct Local {
    /// (file, its entries), most authoritative first.
    files: Vec<(String, Vec<dotenv::Entry>)>,
    shell: BTreeMap<String, Secret>,
}

impl Local {
    /// Reads the folder's `.env` files and the shell's environment.
    pub fn read(dir: &Path) -> Local {
        let files = DOTENV_FILES
            .iter()
            .filter_map(|f| {
                let text = std::fs::read_to_string(dir.join(f)).ok()?;
                Some((f.to_string(), dotenv::parse(&text)))
            })
            .collect();
        let shell = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, Secret::new(v.into_string().ok()?))))
            .collect();
        Local { files, shell }
    }

    /// For tests: these files' texts and this shell.
    pub fn from_parts(files: &[(&str, &str)], shell: &[(&str, &str)]) -> Local {
        Local {
            files: files
                .iter()
                .map(|(f, text)| (f.to_string(), dotenv::parse(text)))
                .collect(),
            shell: shell
                .iter()
                .map(|(k, v)| (k.to_string(), Secret::new(*v)))
                .collect(),
        }
    }

    /// The value of `name` in a `.env` file, and which.
    pub fn in_file(&self, name: &str) -> Option<(&Secret, &str)> {
        self.files.iter().find_map(|(file, entries)| {
            entries
                .iter()
                .rev()
                .find(|e| e.name == name)
                .map(|e| (&e.value, file.as_str()))
        })
    }

    pub fn in_shell(&self, name: &str) -> Option<&Secret> {
        self.shell.get(name)
    }

    /// A secret's value here: typed in the wizard, else the shell's, else
    /// a `.env` file's.
    pub fn secret(&self, name: &str, typed: &BTreeMap<String, Secret>) -> Option<(Secret, Source)> {
        if let Some(value) = typed.get(name) {
            return Some((value.clone(), Source::Typed));
        }
        if let Some(value) = self.in_shell(name) {
            return Some((value.clone(), Source::Shell));
        }
        self.in_file(name)
            .map(|(value, file)| (value.clone(), Source::File(file.to_string())))
    }
}

/// Each variable the app reads (in the order it first reads them), then
/// each only dashdeploy.toml names: as dashdeploy.toml declares it, else
/// as proposed (a value in a `.env` file makes a secret when the name
/// looks like one and a plain value otherwise; a secret-looking name the
/// shell sets makes a secret; anything else stays unset). `stored` says
/// whether Parameter Store holds a variable's secret from an earlier deploy.
pub fn settings(
    reads: &[EnvVar],
    config: &AppConfig,
    local: &Local,
    typed: &BTreeMap<String, Secret>,
    stored: &dyn Fn(&str) -> bool,
) -> Vec<Setting> {
    let mut names: Vec<(String, bool, Vec<String>)> = reads
        .iter()
        .map(|v| (v.name.clone(), v.required, v.read_at.clone()))
        .collect();
    let declared_only = config
        .secrets
        .iter()
        .chain(config.env.keys())
        .filter(|n| !reads.iter().any(|v| &v.name == *n));
    for name in declared_only {
        if !names.iter().any(|(n, ..)| n == name) {
            names.push((name.clone(), false, Vec::new()));
        }
    }
    names
        .into_iter()
        .map(|(name, required, read_at)| {
            let looks_secret = env_reads::looks_secret(&name);
            let secret_source = || match local.secret(&name, typed) {
                Some((_, source)) => source,
                None if stored(&name) => Source::Stored,
                None => Source::Nowhere,
            };
            let (kind, source, plain, declared) = if config.secrets.contains(&name) {
                (Kind::Secret, secret_source(), None, true)
            } else if let Some(value) = config.env.get(&name) {
                (Kind::Plain, Source::Toml, Some(value.clone()), true)
            } else if config.env_unset.contains(&name) {
                (Kind::Unset, Source::Nowhere, None, true)
            } else if let Some((value, file)) = local.in_file(&name) {
                if looks_secret {
                    (Kind::Secret, secret_source(), None, false)
                } else {
                    let plain = Some(value.expose().to_string());
                    (Kind::Plain, Source::File(file.to_string()), plain, false)
                }
            } else if typed.contains_key(&name) || (looks_secret && local.in_shell(&name).is_some())
            {
                (Kind::Secret, secret_source(), None, false)
            } else {
                (Kind::Unset, Source::Nowhere, None, false)
            };
            Setting {
                local: local.secret(&name, typed).map(|(v, _)| v),
                in_dotenv: local.in_file(&name).is_some(),
                in_environment: local.in_shell(&name).is_some(),
                name,
                required,
                read_at,
                kind,
                source,
                plain,
                declared,
                looks_secret,
            }
        })
        .collect()
}

/// The settings of the app of `spec`, as analysed: Parameter Store
/// counts as holding a secret when this machine's deployment record lists
/// its parameter.
pub fn of_spec(spec: &super::spec::Spec, reads: &[EnvVar]) -> Result<Vec<Setting>, String> {
    let dir = spec.app_dir.clone().ok_or("no app folder")?;
    let local = Local::read(&dir);
    let listed: Vec<String> = match (crate::store::state_dir(), &spec.aws.region) {
        (Ok(state), Some(region)) => crate::store::record::load(&state, &spec.name, region)
            .map(|rec| {
                rec.of(crate::store::record::ResourceKind::Parameter)
                    .map(|r| r.id.clone())
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let stored = |var: &str| {
        listed
            .iter()
            .any(|id| *id == crate::aws::ssm::parameter_name(&spec.name, var))
    };
    Ok(settings(
        reads,
        &spec.config,
        &local,
        &spec.secret_values,
        &stored,
    ))
}

/// The sentence for variables the app requires that nothing gives a
/// value, naming each and where it is read, with what to do.
pub fn missing(settings: &[Setting]) -> Option<String> {
    let missing: Vec<String> = settings
        .iter()
        .filter(|s| s.missing())
        .map(|s| format!("{} ({})", s.name, s.where_read()))
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(format!(
        "The app needs {} to start, and nothing gives {} a value: it would crash at start in the cloud. \
         Put the value in the folder's .env (or the shell's environment) and list the name under \
         secrets = [...] in dashdeploy.toml, or give a plain value under [env] there (the wizard asks \
         for it on the App step). Nothing was created.",
        missing.join(", "),
        if missing.len() == 1 { "it" } else { "them" }
    ))
}

/// dashdeploy.toml after the user's choice of `settings`: the secrets by
/// name, the plain values, the variables left unset on purpose.
pub fn keep(config: &mut AppConfig, settings: &[Setting]) {
    for s in settings {
        config.secrets.retain(|n| *n != s.name);
        config.env.remove(&s.name);
        config.env_unset.retain(|n| *n != s.name);
        match s.kind {
            Kind::Secret => config.secrets.push(s.name.clone()),
            Kind::Plain => {
                config
                    .env
                    .insert(s.name.clone(), s.plain.clone().unwrap_or_default());
            }
            // Only a variable the app reads is worth remembering as unset.
            Kind::Unset if !s.read_at.is_empty() => config.env_unset.push(s.name.clone()),
            Kind::Unset => {}
        }
    }
}

/// What a run gives the container: the plain values, and each secret with
/// its value here (None: only Parameter Store may have it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub plain: Vec<(String, String)>,
    pub secrets: Vec<(String, Option<Secret>)>,
}

impl Values {
    /// From dashdeploy.toml (`[env]`, `secrets`) with the values here.
    pub fn of(config: &AppConfig, local: &Local, typed: &BTreeMap<String, Secret>) -> Values {
        Values {
            plain: config
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            secrets: config
                .secrets
                .iter()
                .map(|n| (n.clone(), local.secret(n, typed).map(|(v, _)| v)))
                .collect(),
        }
    }

    /// `line` with every secret value of four characters or more replaced
    /// by `***`, for output of the app that dashdeploy shows.
    pub fn redact(&self, line: &str) -> String {
        let mut out = line.to_string();
        for value in self.secrets.iter().filter_map(|(_, v)| v.as_ref()) {
            if value.expose().chars().count() >= 4 {
                out = out.replace(value.expose(), "***");
            }
        }
        out
    }

    /// What a local test's pass holds for: the image id, and a digest of
    /// the plain values, the secrets' names and whether each had a value
    /// here (never a value).
    pub fn pass_key(&self, image_id: &str) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.plain.hash(&mut hasher);
        for (name, value) in &self.secrets {
            (name, value.is_some()).hash(&mut hasher);
        }
        format!("{image_id} env:{:016x}", hasher.finish())
    }

    /// `NAME=value` for a container's environment, plain values and the
    /// secrets that have a value here.
    pub fn container_env(&self) -> Vec<String> {
        self.plain
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .chain(
                self.secrets
                    .iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", v.expose()))),
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, required: bool, at: &str) -> EnvVar {
        EnvVar {
            name: name.into(),
            required,
            in_dotenv: false,
            in_environment: false,
            secret: env_reads::looks_secret(name),
            read_at: vec![at.into()],
        }
    }

    fn nothing_stored(_: &str) -> bool {
        false
    }

    #[test]
    fn undeclared_variables_are_proposed_from_where_their_values_are() {
        let reads = [
            read("DATABASE_URL", true, "app.py:3"),
            read("DEBUG", false, "app.py:4"),
            read("MAPBOX_TOKEN", false, "app.py:5"),
            read("HOME", false, "app.py:6"),
            read("API_KEY", true, "app.py:7"),
        ];
        let local = Local::from_parts(
            &[
                (".env", "DATABASE_URL=postgres://x\nDEBUG=false\n"),
                (".env.local", "DEBUG=true\n"),
            ],
            &[("MAPBOX_TOKEN", "pk.123"), ("HOME", "/home/ana")],
        );
        let got = settings(
            &reads,
            &AppConfig::default(),
            &local,
            &BTreeMap::new(),
            &nothing_stored,
        );
        let kinds: Vec<(&str, Kind, String)> = got
            .iter()
            .map(|s| (s.name.as_str(), s.kind, s.source.label()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("DATABASE_URL", Kind::Secret, ".env".into()),
                ("DEBUG", Kind::Plain, ".env".into()),
                (
                    "MAPBOX_TOKEN",
                    Kind::Secret,
                    "the shell's environment".into()
                ),
                ("HOME", Kind::Unset, "nowhere".into()),
                ("API_KEY", Kind::Unset, "nowhere".into()),
            ]
        );
        assert_eq!(
            got[1].plain.as_deref(),
            Some("false"),
            ".env wins over .env.local"
        );
        let sentence = missing(&got).unwrap();
        assert!(
            sentence.contains("API_KEY (read at app.py:7)") && !sentence.contains("DATABASE_URL"),
            "{sentence}"
        );
        assert!(
            !format!("{got:?}").contains("postgres://x"),
            "no secret in a setting"
        );
    }

    #[test]
    fn dashdeploy_toml_decides_and_keep_writes_it_back() {
        let reads = [
            read("API_KEY", true, "app.py:1"),
            read("LEVEL", false, "app.py:2"),
        ];
        let mut config = AppConfig {
            secrets: vec!["API_KEY".into(), "EXTRA_TOKEN".into()],
            env: BTreeMap::from([("REGION_NAME".into(), "eu".into())]),
            env_unset: vec!["LEVEL".into()],
            ..Default::default()
        };
        let stored = |n: &str| n == "API_KEY";
        let local = Local::from_parts(&[], &[]);
        let got = settings(&reads, &config, &local, &BTreeMap::new(), &stored);
        let names: Vec<(&str, Kind, bool)> = got
            .iter()
            .map(|s| (s.name.as_str(), s.kind, s.missing()))
            .collect();
        assert_eq!(
            names,
            [
                ("API_KEY", Kind::Secret, false),
                ("LEVEL", Kind::Unset, false),
                ("EXTRA_TOKEN", Kind::Secret, false),
                ("REGION_NAME", Kind::Plain, false),
            ]
        );
        assert_eq!(got[0].source, Source::Stored);
        let typed = BTreeMap::from([("EXTRA_TOKEN".to_string(), Secret::new("t0k3n"))]);
        assert_eq!(
            settings(&reads, &config, &local, &typed, &stored)[2].source,
            Source::Typed
        );
        let mut changed = got.clone();
        changed[1].kind = Kind::Plain;
        changed[1].plain = Some("debug".into());
        changed[0].kind = Kind::Unset;
        keep(&mut config, &changed);
        assert_eq!(config.secrets, ["EXTRA_TOKEN"]);
        assert_eq!(config.env.get("LEVEL").map(String::as_str), Some("debug"));
        assert_eq!(config.env_unset, ["API_KEY"]);
    }

    #[test]
    fn values_come_from_the_shell_then_the_files_and_are_redacted() {
        let config = AppConfig {
            secrets: vec!["API_KEY".into(), "DB_PASSWORD".into(), "NONE_KEY".into()],
            env: BTreeMap::from([("DEBUG".into(), "false".into())]),
            ..Default::default()
        };
        let local = Local::from_parts(
            &[(".env", "API_KEY=from-file\nDB_PASSWORD=s3cret-pw\n")],
            &[("API_KEY", "from-shell")],
        );
        let values = Values::of(&config, &local, &BTreeMap::new());
        assert_eq!(
            values.container_env(),
            ["DEBUG=false", "API_KEY=from-shell", "DB_PASSWORD=s3cret-pw"]
        );
        assert_eq!(values.secrets[2], ("NONE_KEY".to_string(), None));
        assert_eq!(
            values.redact("connecting with s3cret-pw and from-shell"),
            "connecting with *** and ***"
        );
    }
}
