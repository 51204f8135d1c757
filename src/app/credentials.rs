//! The credentials form of the prerequisites step: pick another AWS profile
//! and region, or enter an access key to save as a profile. The secret is
//! held in memory only until the event loop saves it, and shown masked.

use std::path::PathBuf;

use crate::aws::AwsTarget;
use crate::pipeline::values::parse_region;
use crate::pipeline::{LogLevel, StepId};

use super::input::Command;
use super::state::{App, Overlay};

/// Regions where Fargate runs (commercial partition).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-east-1",
    "me-south-1",
    "me-central-1",
    "af-south-1",
    "il-central-1",
];

/// The parts of the form that take keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Profiles,
    Region,
    NewName,
    KeyId,
    Secret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsForm {
    /// None until the profiles are read.
    pub profiles: Option<Vec<String>>,
    /// Where a new key is saved.
    pub credentials_file: Option<PathBuf>,
    /// Index into the profiles; one past the end is "a new access key".
    pub selected: usize,
    pub region: usize,
    pub field: Field,
    pub new_name: String,
    pub key_id: String,
    pub secret: String,
    pub error: Option<String>,
}

impl CredentialsForm {
    fn new(region: Option<&str>) -> Self {
        CredentialsForm {
            profiles: None,
            credentials_file: None,
            selected: 0,
            region: region
                .and_then(|r| REGIONS.iter().position(|x| *x == r))
                .unwrap_or(0),
            field: Field::Profiles,
            new_name: "dashdeploy".into(),
            key_id: String::new(),
            secret: String::new(),
            error: None,
        }
    }

    pub fn wants_new_key(&self) -> bool {
        self.profiles
            .as_ref()
            .is_some_and(|p| self.selected >= p.len())
    }

    pub fn region(&self) -> &'static str {
        REGIONS[self.region % REGIONS.len()]
    }

    fn fields(&self) -> &'static [Field] {
        if self.wants_new_key() {
            &[
                Field::Profiles,
                Field::Region,
                Field::NewName,
                Field::KeyId,
                Field::Secret,
            ]
        } else {
            &[Field::Profiles, Field::Region]
        }
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        match self.field {
            Field::NewName => Some(&mut self.new_name),
            Field::KeyId => Some(&mut self.key_id),
            Field::Secret => Some(&mut self.secret),
            Field::Profiles | Field::Region => None,
        }
    }
}

/// Keys of the form, as the event loop hands them over while it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKey {
    Char(char),
    Backspace,
    Up,
    Down,
    Left,
    Right,
    Tab,
    Enter,
    Esc,
}

impl App {
    /// c on the prerequisites step: open the form and read the profiles.
    pub(super) fn open_credentials(&mut self) -> Vec<Command> {
        self.overlay = Overlay::Credentials(Box::new(CredentialsForm::new(self.region.as_deref())));
        vec![Command::LoadProfiles]
    }

    /// The profiles and the credentials file, read by the event loop.
    pub fn profiles_loaded(&mut self, profiles: Vec<String>, credentials_file: Option<PathBuf>) {
        if let Overlay::Credentials(form) = &mut self.overlay {
            let current = self.credentials.strip_prefix("profile ").unwrap_or("");
            form.selected = profiles.iter().position(|p| p == current).unwrap_or(0);
            form.profiles = Some(profiles);
            form.credentials_file = credentials_file;
        }
    }

    /// The key was saved (as this profile), or why not.
    pub fn key_saved(&mut self, result: Result<String, String>, now: &str) -> Vec<Command> {
        match result {
            Ok(profile) => {
                let region = match &self.overlay {
                    Overlay::Credentials(form) => form.region(),
                    _ => REGIONS[0],
                };
                self.add_log(
                    now,
                    LogLevel::Info,
                    format!("saved the access key as profile {profile}"),
                );
                self.use_aws(profile, region.to_string())
            }
            Err(reason) => {
                if let Overlay::Credentials(form) = &mut self.overlay {
                    form.error = Some(reason);
                }
                Vec::new()
            }
        }
    }

    /// Whether keys go to the form (or the address being typed) as text.
    pub fn wants_text(&self) -> bool {
        match self.overlay {
            Overlay::Credentials(_) => true,
            Overlay::None => self.typing_address() || self.typing_env_value(),
            _ => false,
        }
    }

    pub fn form_key(&mut self, key: FormKey, now: &str) -> Vec<Command> {
        let Overlay::Credentials(form) = &mut self.overlay else {
            if self.typing_env_value() {
                return self.env_value_key(key);
            }
            return self.address_key(key, now);
        };
        form.error = None;
        match key {
            FormKey::Esc => {
                self.overlay = Overlay::None;
                Vec::new()
            }
            FormKey::Tab => {
                let fields = form.fields();
                let at = fields.iter().position(|f| *f == form.field).unwrap_or(0);
                form.field = fields[(at + 1) % fields.len()];
                Vec::new()
            }
            FormKey::Up | FormKey::Down if form.field == Field::Profiles => {
                let count = form.profiles.as_ref().map_or(0, |p| p.len()) + 1;
                form.selected = if key == FormKey::Up {
                    (form.selected + count - 1) % count
                } else {
                    (form.selected + 1) % count
                };
                Vec::new()
            }
            FormKey::Left | FormKey::Right if form.field == Field::Region => {
                let count = REGIONS.len();
                form.region = if key == FormKey::Left {
                    (form.region + count - 1) % count
                } else {
                    (form.region + 1) % count
                };
                Vec::new()
            }
            FormKey::Char(c) => {
                if let Some(text) = form.text_mut()
                    && text.len() < 128
                {
                    text.push(c);
                }
                Vec::new()
            }
            FormKey::Backspace => {
                if let Some(text) = form.text_mut() {
                    text.pop();
                }
                Vec::new()
            }
            FormKey::Enter => self.submit_form(),
            _ => Vec::new(),
        }
    }

    fn submit_form(&mut self) -> Vec<Command> {
        let Overlay::Credentials(form) = &mut self.overlay else {
            return Vec::new();
        };
        let Some(profiles) = form.profiles.clone() else {
            return Vec::new();
        };
        let region = form.region().to_string();
        if let Err(e) = parse_region(&region) {
            form.error = Some(e);
            return Vec::new();
        }
        if !form.wants_new_key() {
            let profile = profiles[form.selected].clone();
            return self.use_aws(profile, region);
        }
        if let Err(e) = crate::aws::profiles::check_profile_name(form.new_name.trim()) {
            form.error = Some(e);
            return Vec::new();
        }
        if form.key_id.trim().is_empty() || form.secret.trim().is_empty() {
            form.error = Some("Enter both the access key id and the secret access key (Tab moves between fields).".into());
            return Vec::new();
        }
        vec![Command::SaveKey {
            profile: form.new_name.trim().to_string(),
            key_id: form.key_id.trim().to_string(),
            secret: std::mem::take(&mut form.secret),
        }]
    }

    /// Switches to `profile` and `region` (for every step from now on) and
    /// runs the prerequisites again.
    fn use_aws(&mut self, profile: String, region: String) -> Vec<Command> {
        self.overlay = Overlay::None;
        self.credentials = format!("profile {profile}");
        self.region = Some(region.clone());
        self.choices.aws = AwsTarget {
            profile: Some(profile),
            region: Some(region),
        };
        self.selected = StepId::Prereqs;
        vec![self.start(StepId::Prereqs)]
    }
}
