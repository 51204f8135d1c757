//! Building the image through the engine: the context streamed, each
//! instruction and its output reported as it happens, the failing
//! instruction named with its last output lines, and the image tagged with
//! a content-derived tag and `latest`.

use std::collections::{HashMap, VecDeque};
use std::path::Path;

use bollard::query_parameters::{BuildImageOptionsBuilder, TagImageOptionsBuilder};
use futures_util::StreamExt;

use super::context::{self, ContextError, ContextStats};
use super::engine::Engine;

/// Output lines kept to show with a failure.
const TAIL: usize = 12;
/// Output lines of the failing instruction kept to read for its cause.
const KEPT: usize = 400;

/// What the build reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildProgress {
    /// `Step 4/9 : RUN pip install ...`
    Step {
        number: u32,
        total: u32,
        instruction: String,
    },
    /// A line the instruction printed.
    Output(String),
}

/// The image, as `docker images` would list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltImage {
    pub id: String,
    /// `<name>:<first 12 hex digits of the image id>`
    pub tag: String,
    pub latest: String,
    pub size: u64,
    pub os: String,
    pub arch: String,
    pub context: ContextStats,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("the build context could not be sent: {0}")]
    Context(#[from] ContextError),
    #[error("{instruction} failed: {message}{}", tail_text(.tail))]
    Instruction {
        instruction: String,
        message: String,
        tail: Vec<String>,
        /// Its last output lines (up to 400), for a cause further up.
        output: Vec<String>,
    },
    #[error(
        "the Docker engine stopped the build: {0}. Check that Docker is running (the prerequisites step tells), then retry the step."
    )]
    Engine(String),
}

fn tail_text(tail: &[String]) -> String {
    if tail.is_empty() {
        String::new()
    } else {
        format!("\nLast output:\n  {}", tail.join("\n  "))
    }
}

/// Builds `dir` (its Dockerfile) as `<name>:latest` and `<name>:<content tag>`.
pub async fn build(
    engine: &Engine,
    dir: &Path,
    name: &str,
    mut progress: impl FnMut(BuildProgress),
) -> Result<BuiltImage, BuildError> {
    let ignore = context::ignore_rules(dir)?;
    let (chunks, sender) = context::stream(dir.to_path_buf(), ignore);
    let latest = format!("{name}:latest");
    let labels = HashMap::from([("dashdeploy.app", name)]);
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(&latest)
        .rm(true)
        .forcerm(true)
        .labels(&labels)
        .build();
    let docker = &engine.client;
    let mut stream = docker.build_image(options, None, Some(bollard::body_try_stream(chunks)));
    let mut tail: VecDeque<String> = VecDeque::new();
    let mut output: VecDeque<String> = VecDeque::new();
    let mut instruction = String::from("the build");
    let mut built_id = None;
    let mut failure = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(id) = info.aux.as_ref().and_then(|aux| aux.id.as_ref()) {
                    built_id = Some(id.clone());
                }
                for line in info.stream.as_deref().unwrap_or_default().lines() {
                    // pip's colours and progress bars, made plain.
                    let line = crate::plain_text::plain(line);
                    let line = line.trim_end();
                    if line.is_empty() || line.starts_with(" ---> ") {
                        continue;
                    }
                    if let Some(step) = parse_step(line) {
                        if let BuildProgress::Step {
                            instruction: text, ..
                        } = &step
                        {
                            instruction = format!("\"{text}\"");
                        }
                        tail.clear();
                        output.clear();
                        progress(step);
                    } else {
                        if tail.len() == TAIL {
                            tail.pop_front();
                        }
                        tail.push_back(line.to_string());
                        if output.len() == KEPT {
                            output.pop_front();
                        }
                        output.push_back(line.to_string());
                        progress(BuildProgress::Output(line.to_string()));
                    }
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(stream);
    let sent = sender
        .await
        .map_err(|e| BuildError::Engine(format!("the context writer stopped: {e}")))?;
    if let Some(error) = failure {
        return Err(match error {
            bollard::errors::Error::DockerStreamError { error } => BuildError::Instruction {
                instruction,
                message: error,
                tail: tail.into_iter().collect(),
                output: output.into_iter().collect(),
            },
            other => match sent {
                Err(context_error @ ContextError::Unreadable { .. })
                | Err(context_error @ ContextError::Special { .. })
                | Err(context_error @ ContextError::BadIgnore(_)) => {
                    BuildError::Context(context_error)
                }
                _ => BuildError::Engine(other.to_string()),
            },
        });
    }
    let stats = sent?;
    let inspect = docker
        .inspect_image(&latest)
        .await
        .map_err(|e| BuildError::Engine(e.to_string()))?;
    let id = inspect.id.clone().or(built_id).unwrap_or_default();
    let short = content_tag(&id);
    docker
        .tag_image(
            &latest,
            Some(
                TagImageOptionsBuilder::default()
                    .repo(name)
                    .tag(&short)
                    .build(),
            ),
        )
        .await
        .map_err(|e| BuildError::Engine(e.to_string()))?;
    Ok(BuiltImage {
        id,
        tag: format!("{name}:{short}"),
        latest,
        size: inspect.size.unwrap_or(0).max(0) as u64,
        os: inspect.os.unwrap_or_default(),
        arch: inspect.architecture.unwrap_or_default(),
        context: stats,
    })
}

/// The tag derived from an image's content: the first 12 hex digits of its id.
pub fn content_tag(image_id: &str) -> String {
    image_id
        .trim_start_matches("sha256:")
        .chars()
        .take(12)
        .collect()
}

/// `Step 4/9 : RUN pip install -r requirements.txt`
fn parse_step(line: &str) -> Option<BuildProgress> {
    let rest = line.strip_prefix("Step ")?;
    let (numbers, instruction) = rest.split_once(" : ")?;
    let (number, total) = numbers.split_once('/')?;
    Some(BuildProgress::Step {
        number: number.trim().parse().ok()?,
        total: total.trim().parse().ok()?,
        instruction: instruction.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_recognised() {
        assert_eq!(
            parse_step("Step 4/9 : RUN pip install -r requirements.txt"),
            Some(BuildProgress::Step {
                number: 4,
                total: 9,
                instruction: "RUN pip install -r requirements.txt".into()
            })
        );
        assert_eq!(parse_step("Successfully built 3f9c2e1"), None);
    }

    #[test]
    fn a_failure_names_the_instruction_and_its_last_lines() {
        let err = BuildError::Instruction {
            instruction: "\"RUN pip install nope\"".into(),
            message: "The command '/bin/sh -c pip install nope' returned a non-zero code: 1".into(),
            tail: vec!["ERROR: No matching distribution found for nope".into()],
            output: vec!["ERROR: No matching distribution found for nope".into()],
        };
        let text = err.to_string();
        assert!(
            text.starts_with("\"RUN pip install nope\" failed: The command"),
            "{text}"
        );
        assert!(
            text.ends_with("Last output:\n  ERROR: No matching distribution found for nope"),
            "{text}"
        );
    }
}
