//! Running the built image on this machine for the local test: a labelled
//! container with 8050 published on a free loopback port, its log followed,
//! and always removed afterwards (leftovers of a crash too).

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder,
};
use futures_util::{Stream, StreamExt};

use super::engine::Engine;

/// Every local-test container carries this label.
pub const LABEL: &str = "dashdeploy.local-test";
pub const CONTAINER_PORT: u16 = 8050;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub id: String,
    pub port: u16,
}

/// Removes this app's local-test containers left by an earlier run (other
/// apps' tests may be running); returns how many.
pub async fn remove_leftovers(engine: &Engine, app: &str) -> Result<usize, String> {
    let filters = HashMap::from([(
        "label".to_string(),
        vec![LABEL.to_string(), format!("dashdeploy.app={app}")],
    )]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let containers = engine
        .client
        .list_containers(Some(options))
        .await
        .map_err(|e| format!("could not list containers: {e}"))?;
    let mut removed = 0;
    for id in containers.iter().filter_map(|c| c.id.as_deref()) {
        remove(engine, id).await?;
        removed += 1;
    }
    Ok(removed)
}

pub async fn remove(engine: &Engine, id: &str) -> Result<(), String> {
    let options = RemoveContainerOptionsBuilder::default().force(true).build();
    match engine.client.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(e) => Err(format!("could not remove container {id}: {e}")),
    }
}

/// A port on 127.0.0.1 nothing listens on now.
pub fn free_loopback_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// Starts `image` with 8050 published on a free loopback port and `env`
/// (`NAME=value`) in its environment, as the task would have it.
pub async fn start(
    engine: &Engine,
    image: &str,
    app: &str,
    env: Vec<String>,
) -> Result<Running, String> {
    let port = free_loopback_port()?;
    let binding = format!("{CONTAINER_PORT}/tcp");
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        env: (!env.is_empty()).then_some(env),
        exposed_ports: Some(vec![binding.clone()]),
        labels: Some(HashMap::from([
            (LABEL.to_string(), "1".to_string()),
            ("dashdeploy.app".to_string(), app.to_string()),
        ])),
        host_config: Some(HostConfig {
            port_bindings: Some(HashMap::from([(
                binding,
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some(port.to_string()),
                }]),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    };
    let name = format!("dashdeploy-{app}-local-{port}");
    let created = engine
        .client
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(&name).build()),
            body,
        )
        .await
        .map_err(|e| format!("could not create the container from {image}: {e}"))?;
    if let Err(e) = engine.client.start_container(&created.id, None).await {
        let _ = remove(engine, &created.id).await;
        return Err(format!("could not start the container: {e}"));
    }
    Ok(Running {
        id: created.id,
        port,
    })
}

/// Whether the container still runs, and its exit code when it does not.
pub async fn exit_code(engine: &Engine, id: &str) -> Result<Option<i64>, String> {
    let inspect = engine
        .client
        .inspect_container(id, None)
        .await
        .map_err(|e| format!("could not inspect the container: {e}"))?;
    let state = inspect.state.unwrap_or_default();
    if state.running == Some(true) {
        Ok(None)
    } else {
        Ok(Some(state.exit_code.unwrap_or(-1)))
    }
}

/// The container's output, line by line, following it.
pub fn follow_logs(engine: &Engine, id: &str) -> impl Stream<Item = String> + Send + 'static {
    let options = LogsOptionsBuilder::default()
        .follow(true)
        .stdout(true)
        .stderr(true)
        .build();
    engine
        .client
        .logs(id, Some(options))
        .filter_map(|item| async move { item.ok() })
        .flat_map(|output| {
            let text = String::from_utf8_lossy(&output.into_bytes()).into_owned();
            futures_util::stream::iter(
                text.lines()
                    .map(crate::plain_text::plain)
                    .filter(|l| !l.trim().is_empty())
                    .collect::<Vec<_>>(),
            )
        })
}

/// Why a local test failed, in words, from the container's log and state.
pub fn diagnose(log: &[String], exit: Option<i64>, last_answer: Option<(u16, bool)>) -> String {
    let text = log.join("\n");
    let last_lines = || {
        let tail: Vec<&str> = log.iter().rev().take(8).rev().map(String::as_str).collect();
        if tail.is_empty() {
            " It printed nothing.".to_string()
        } else {
            format!(" Its last lines:\n  {}", tail.join("\n  "))
        }
    };
    if let Some(code) = exit {
        let cause = if let Some(var) = crate::dashapp::env_reads::crash_variable(&text) {
            format!(
                " It needs the environment variable {var}, which the container does not have: give it a value on the \
                 App step's environment screen (or under [env] or secrets in dashdeploy.toml, with the value in .env), \
                 then run the step again. In the cloud it would crash the same way."
            )
        } else if let Some(module) = missing_module(&text) {
            format!(
                " The module '{module}' is missing from the image: add its package to requirements.txt and build again."
            )
        } else if text.contains("ImportError") || text.contains("ModuleNotFoundError") {
            " An import failed: check requirements.txt and the module names.".to_string()
        } else if text.contains("SyntaxError") {
            " A Python file has a syntax error.".to_string()
        } else if text.contains("Failed to find attribute 'server'")
            || text.contains("Failed to find application")
        {
            " gunicorn found no `server` in the entry module: accept the App step's `server = app.server` fix.".to_string()
        } else {
            String::new()
        };
        return format!(
            "The app crashed at start (exit code {code}).{cause}{}",
            last_lines()
        );
    }
    if listens_on_localhost(&text) {
        return format!(
            "The app listens on 127.0.0.1 inside the container, so nothing outside reaches it: it must listen on 0.0.0.0:8050 (the App step's fix, or --bind 0.0.0.0:8050 for gunicorn).{}",
            last_lines()
        );
    }
    if let Some(port) = other_port(&text) {
        return format!(
            "The app listens on port {port}, not 8050: nothing answered on 8050. Make it listen on 0.0.0.0:8050.{}",
            last_lines()
        );
    }
    match last_answer {
        Some((200, false)) => format!(
            "The app answers 200 on 8050, but the page is not a Dash page (no Dash renderer in it): is the entry module the Dash app?{}",
            last_lines()
        ),
        Some((status, _)) => format!(
            "The app answers HTTP {status} on 8050 instead of the page.{}",
            last_lines()
        ),
        None => format!("Nothing answered on port 8050.{}", last_lines()),
    }
}

fn missing_module(log: &str) -> Option<String> {
    let at = log.find("No module named '")?;
    let rest = &log[at + "No module named '".len()..];
    rest.split('\'').next().map(str::to_string)
}

fn listens_on_localhost(log: &str) -> bool {
    [
        "Listening at: http://127.0.0.1",
        "Running on http://127.0.0.1",
        "Listening at: http://localhost",
        "Running on http://localhost",
    ]
    .iter()
    .any(|needle| log.contains(needle))
}

fn other_port(log: &str) -> Option<String> {
    for needle in [
        "Listening at: http://0.0.0.0:",
        "Running on http://0.0.0.0:",
        "Running on all addresses (0.0.0.0)",
    ] {
        if let Some(at) = log.find(needle) {
            let port: String = log[at + needle.len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            if !port.is_empty() && port != CONTAINER_PORT.to_string() {
                return Some(port);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn failures_are_told_in_words() {
        let crash = lines(
            "Traceback (most recent call last):\nModuleNotFoundError: No module named 'sklearn'",
        );
        let text = diagnose(&crash, Some(3), None);
        assert!(
            text.starts_with(
                "The app crashed at start (exit code 3). The module 'sklearn' is missing"
            ),
            "{text}"
        );
        assert!(text.contains("No module named 'sklearn'"), "{text}");
        let local = lines("[INFO] Listening at: http://127.0.0.1:8050 (1)");
        assert!(diagnose(&local, None, None).starts_with("The app listens on 127.0.0.1"));
        let port = lines("[INFO] Listening at: http://0.0.0.0:8000 (1)");
        assert!(diagnose(&port, None, None).starts_with("The app listens on port 8000, not 8050"));
        assert!(diagnose(&[], None, Some((200, false))).contains("not a Dash page"));
        let key_error = lines(
            "Traceback (most recent call last):\n  File \"/app/app.py\", line 3, in <module>\n    DB = os.environ[\"DATABASE_URL\"]\n  File \"<frozen os>\", line 714, in __getitem__\nKeyError: 'DATABASE_URL'",
        );
        let text = diagnose(&key_error, Some(1), None);
        assert!(
            text.contains("It needs the environment variable DATABASE_URL"),
            "{text}"
        );
        let decouple = lines(
            "decouple.UndefinedValueError: API_KEY not found. Declare it as envvar or define a default value.",
        );
        assert!(diagnose(&decouple, Some(1), None).contains("variable API_KEY"));
        assert!(
            diagnose(&[], None, None)
                .starts_with("Nothing answered on port 8050. It printed nothing.")
        );
    }
}
