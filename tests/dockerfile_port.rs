//! The Dockerfile step with an app's own Dockerfile that serves another
//! port than 8050: the proposal makes it 8050 (accepted headless, written);
//! a Dockerfile edited back to the other port is refused, nothing written.
//! No Docker or AWS: the step reads and writes the folder only.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dashdeploy::pipeline::runner::{Reporter, run_step};
use dashdeploy::pipeline::{Answer, Answers, EventKind, Proposal, StepId};

fn fixture_copy(to: &Path) -> PathBuf {
    let from =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/apps/own-dockerfile-port");
    let app = to.join("app");
    std::fs::create_dir_all(&app).unwrap();
    for file in ["app.py", "requirements.txt", "Dockerfile"] {
        std::fs::copy(from.join(file), app.join(file)).unwrap();
    }
    app
}

#[tokio::test]
async fn headless_the_change_to_8050_is_accepted_and_written() {
    let work = tempfile::tempdir().unwrap();
    let app = fixture_copy(work.path());
    let choices = Arc::new(common::settings(Some(&app), "unix:///nonexistent.sock"));
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, StepId::Dockerfile, tx);
    let summary = run_step(
        StepId::Dockerfile,
        &choices,
        &reporter,
        &mut Answers::AcceptAll,
    )
    .await
    .unwrap();
    assert!(summary.contains("wrote Dockerfile"), "{summary}");
    let written = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
    assert!(
        written.contains("EXPOSE 8050") && written.contains("\"0.0.0.0:8050\""),
        "{written}"
    );
    assert!(!written.contains("8000"), "{written}");
}

#[tokio::test]
async fn a_dockerfile_edited_back_to_another_port_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let app = fixture_copy(work.path());
    let before = std::fs::read_to_string(app.join("Dockerfile")).unwrap();
    let choices = Arc::new(common::settings(Some(&app), "unix:///nonexistent.sock"));
    let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (answer, answers) = tokio::sync::mpsc::unbounded_channel();
    let reporter = Reporter::new(1, StepId::Dockerfile, tx);
    let step = tokio::spawn(async move {
        run_step(
            StepId::Dockerfile,
            &choices,
            &reporter,
            &mut Answers::Channel(answers),
        )
        .await
    });
    let mut asked = 0;
    while let Some(event) = events.recv().await {
        if let EventKind::Proposal(Proposal::Dockerfile(p)) = event.kind {
            asked += 1;
            if asked == 1 {
                let fix = p.fix.clone().expect("a change to 8050 is proposed");
                assert!(fix.contains("serves port 8000 (lines 6, 7)"), "{fix}");
                // The user edits it back to 8000 in $EDITOR…
                answer.send(Answer::Edited(before.clone())).unwrap();
            } else {
                // …and accepts that.
                assert!(p.fix.is_none());
                answer.send(Answer::Accept).unwrap();
                break;
            }
        }
    }
    let failure = step.await.unwrap().unwrap_err().message;
    assert!(
        failure.starts_with("The Dockerfile serves port 8000 (lines 6, 7), but the task maps 8050")
            && failure.contains("nothing was built"),
        "{failure}"
    );
    assert_eq!(
        std::fs::read_to_string(app.join("Dockerfile")).unwrap(),
        before,
        "nothing written"
    );
}
