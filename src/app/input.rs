//! What can happen to the wizard: a key the user pressed (already turned
//! into an [`Action`]), a pipeline event, a tick, the result of a side job;
//! and what the wizard asks the event loop to do in return.

use std::path::PathBuf;

use crate::pipeline::{Answer, PipelineEvent, RunId, StepId};

/// What a key means, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    /// Enter: run the selected step, or continue past a done one.
    Activate,
    /// r: run the selected failed step again.
    Retry,
    /// l: show or hide the event log.
    ToggleLog,
    /// ?: the help overlay.
    Help,
    /// q: quit, asking first when work is running.
    Quit,
    /// Ctrl-C (or SIGINT): like q, and a second one quits at once.
    Interrupt,
    Yes,
    No,
    /// Esc: close what is open.
    Back,
    /// a: accept the waiting proposal.
    Accept,
    /// s: skip the proposed fixes.
    Skip,
    /// e: edit the proposed file in $EDITOR.
    Edit,
    /// g: regenerate the proposed file.
    Regenerate,
    /// 1-9: pick a choice.
    Choose(usize),
    /// c: change the AWS profile, region or credentials.
    Credentials,
    /// t: tear down, after a look at the list: remove what dashdeploy
    /// made on AWS for this app.
    TearDown,
    /// PgUp/PgDn: scroll the panel.
    ScrollUp,
    ScrollDown,
    /// ←/→: the next smaller or larger choice (the memory on the sizing screen).
    Left,
    Right,
    /// + and -: one more or one fewer (tasks on the sizing screen).
    More,
    Less,
    /// b: on the network screen, a load balancer or the task's public IP.
    LoadBalancer,
    /// h: on the monitor, the app's releases (Enter rolls back to one).
    Releases,
    /// o: on the Monitor step, open the app's URL in the browser.
    OpenUrl,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Key(Action),
    Pipeline(PipelineEvent),
    /// Time passed: animates spinners. Sent only while something runs.
    Tick,
    /// The bundled sample was copied (to this folder), or why not.
    SampleCopied(Result<PathBuf, String>),
    /// SIGTERM or SIGHUP: leave now, cleanly.
    Terminate,
    /// A key while a form takes text.
    Form(crate::app::FormKey),
    /// The AWS profiles found, and the credentials file a new key goes to.
    Profiles(Vec<String>, Option<PathBuf>),
    /// A new access key was saved as this profile, or why not.
    KeySaved(Result<String, String>),
    /// The steps an earlier run finished, as checked (with what was found).
    Resumed(Vec<(StepId, String)>),
    /// A word from the event loop itself (an editor that failed to start,
    /// one resource a tear-down removed).
    Notice(crate::pipeline::LogLevel, String),
    /// What a tear-down would remove and keep, or why that is not known.
    TearDownList(Result<crate::pipeline::tear_down::TearDown, String>),
    /// What happened to one resource of the tear-down.
    Removal(crate::pipeline::tear_down::Removal),
    /// The tear-down ended: its summary, or what could not be removed.
    TornDown(Result<String, String>),
    /// The app's releases, newest first, or why they could not be read.
    ReleasesList(Result<Vec<crate::pipeline::releases::Listed>, String>),
    /// A rollback ended: its summary, or why it failed.
    RolledBack(Result<String, String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Start `step` as run `run_id` (stopping any earlier run of it), with
    /// the choices the wizard holds now ([`App::step_choices`]).
    ///
    /// [`App::step_choices`]: crate::app::App::step_choices
    Start { step: StepId, run_id: RunId },
    /// Give a waiting step the user's answer.
    Answer {
        step: StepId,
        run_id: RunId,
        answer: Answer,
    },
    /// Open `text` in the user's editor; its result answers the step.
    Edit {
        step: StepId,
        run_id: RunId,
        text: String,
    },
    /// Read the AWS profiles for the credentials form.
    LoadProfiles,
    /// Save an access key as a profile in the AWS credentials file (0600).
    SaveKey {
        profile: String,
        key_id: String,
        secret: String,
    },
    /// Check which steps an earlier run in this app folder finished.
    FindDone,
    /// Stop a running step now (its container, if any, is removed).
    Cancel { step: StepId },
    /// Copy the bundled sample app into this new folder.
    CopySample { dest: PathBuf },
    /// List what dashdeploy made on AWS for this app (answered by
    /// [`Input::TearDownList`]).
    ListTearDown,
    /// Remove what dashdeploy made on AWS for this app, one
    /// [`Input::Removal`] per resource, then [`Input::TornDown`].
    TearDown,
    /// Read the app's releases (answered by [`Input::ReleasesList`]).
    ListReleases,
    /// Roll back to release `to`, watched until healthy; notices as it
    /// goes, then [`Input::RolledBack`].
    Rollback { to: u32 },
    /// Open `url` in the browser with `program` (`xdg-open`, `open`),
    /// detached, without waiting for it; if it cannot start, say the URL.
    OpenUrl { program: &'static str, url: String },
    /// Stop everything that runs, give the terminal back, exit.
    Quit,
}
