//! The app's settings put in place for the Deploy step: each secret
//! (dashdeploy.toml's `secrets`) in Parameter Store, written only when its
//! value here differs from the stored one; the execution role of the
//! app's own allowed to read exactly those parameters; and what the task
//! definition says (plain values, and the secrets by ARN).

use crate::aws::iam::{self, PolicyChange};
use crate::aws::ssm::{self, Change};
use crate::aws::tags::Owner;
use crate::store::record::{self, ResourceKind};

use super::app_env::{Local, Values};
use super::cloud::Cloud;
use super::event::{LogLevel, StepFailure};
use super::ownership;
use super::runner::Reporter;
use super::spec::Spec;

/// What the task definition gives the container, and whether a secret's
/// value changed (so running tasks must be replaced to read it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CloudEnv {
    /// (name, value), sorted.
    pub environment: Vec<(String, String)>,
    /// (name, parameter ARN), sorted.
    pub secrets: Vec<(String, String)>,
    pub secret_changed: bool,
}

/// Puts the app's secrets in Parameter Store (each recorded before the
/// step succeeds) and says what the task definition carries.
pub async fn ensure(
    spec: &Spec,
    cloud: &Cloud,
    owner: &Owner,
    reporter: &Reporter,
) -> Result<CloudEnv, StepFailure> {
    let dir = spec.app_dir()?;
    let local = tokio::task::spawn_blocking(move || Local::read(&dir))
        .await
        .map_err(|e| StepFailure::new(format!("reading the .env files stopped: {e}")))?;
    let values = Values::of(&spec.config, &local, &spec.secret_values);
    let mut env = CloudEnv {
        environment: values.plain.clone(),
        ..Default::default()
    };
    env.environment.sort();
    if values.secrets.is_empty() {
        return Ok(env);
    }
    let kms_key = spec.config.secrets_kms_key.as_deref();
    if let Some(key) = kms_key
        && !key.starts_with("arn:")
    {
        return Err(StepFailure::new(format!(
            "secrets_kms_key = \"{key}\" in dashdeploy.toml is not a key ARN: give the key's full ARN \
             (arn:aws:kms:<region>:<account>:key/<id>), which the execution role's kms:Decrypt grant names. \
             Nothing was changed."
        )));
    }
    let account = ownership::account(spec, cloud).await?;
    let state_dir = crate::store::state_dir().map_err(StepFailure::new)?;
    let rec = record::load(&state_dir, &cloud.app, &cloud.region).map_err(StepFailure::new)?;
    let session = &cloud.session;
    for (var, value) in &values.secrets {
        let name = ssm::parameter_name(&cloud.app, var);
        let listed = rec.of(ResourceKind::Parameter).any(|r| r.id == name);
        let said = match value {
            Some(value) => {
                let change = ssm::ensure(session, &name, value, owner, kms_key, listed)
                    .await
                    .map_err(StepFailure::new)?;
                env.secret_changed |= change == Change::Updated;
                match change {
                    Change::Created => "stored in Parameter Store",
                    Change::Updated => "given its new value in Parameter Store",
                    Change::Unchanged => "unchanged in Parameter Store",
                }
            }
            None => {
                if !ssm::stored(session, &name, owner, listed)
                    .await
                    .map_err(StepFailure::new)?
                {
                    return Err(StepFailure::new(format!(
                        "{var} is listed under secrets in dashdeploy.toml, but it has no value: not in the shell's \
                         environment, not in the folder's .env, and not in Parameter Store ({name}). Put \
                         {var}=<value> in .env (it stays out of the image), or remove it from secrets. The secrets \
                         before it are in place; nothing else was changed."
                    )));
                }
                "has no value here: the one in Parameter Store is used"
            }
        };
        // The tags proved it this folder's: removed by destroy.
        cloud.record(ResourceKind::Parameter, &name, true)?;
        reporter.log(LogLevel::Info, format!("secret {var} ({name}) {said}"));
        env.secrets.push((
            var.clone(),
            ssm::parameter_arn(&cloud.region, &account, &name),
        ));
    }
    env.secrets.sort();
    Ok(env)
}

/// The execution role's grant to read the secrets: the app's own role
/// gets `ssm:GetParameters` on exactly its parameters (none left when it
/// has none); a role named in dashdeploy.toml is not changed, and what it
/// needs is said.
pub async fn grant(
    spec: &Spec,
    cloud: &Cloud,
    role: &str,
    env: &CloudEnv,
    reporter: &Reporter,
) -> Result<(), StepFailure> {
    let arns: Vec<String> = env.secrets.iter().map(|(_, arn)| arn.clone()).collect();
    let kms_key = spec.config.secrets_kms_key.as_deref();
    if spec.config.execution_role.is_some() {
        if !arns.is_empty() {
            reporter.log(
                LogLevel::Warn,
                format!(
                    "the execution role {role} named in dashdeploy.toml is used as it is: it must allow \
                     ssm:GetParameters on {}{}, or the tasks stop at start with \"unable to pull secrets\"",
                    arns.join(", "),
                    kms_key
                        .map(|k| format!(" (and kms:Decrypt on {k})"))
                        .unwrap_or_default()
                ),
            );
        }
        return Ok(());
    }
    let document = (!arns.is_empty()).then(|| iam::secrets_policy(&arns, kms_key));
    let change = iam::ensure_secrets_policy(&cloud.session, role, document.as_deref())
        .await
        .map_err(StepFailure::new)?;
    match change {
        PolicyChange::Put => reporter.log(
            LogLevel::Info,
            format!(
                "the role {role} may read the app's {} secret(s) ({})",
                arns.len(),
                iam::SECRETS_POLICY
            ),
        ),
        PolicyChange::Removed => reporter.log(
            LogLevel::Info,
            format!(
                "the app has no secrets any more: {} removed from {role}",
                iam::SECRETS_POLICY
            ),
        ),
        PolicyChange::Unchanged => {}
    }
    Ok(())
}
