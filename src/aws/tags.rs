//! The tags that say what dashdeploy made and for which app folder: every
//! resource it makes carries the app's name, the folder's id (kept in its
//! dashdeploy.toml), the folder's name and when it was first deployed.
//! Whose a resource is, is read back from them.

/// Marks what dashdeploy made.
pub const MANAGED_TAG: &str = "dashdeploy:managed";
/// The app's name (the resources' names follow it).
pub const APP_TAG: &str = "dashdeploy:app";
/// The app folder's id: what proves a resource is this folder's.
pub const ID_TAG: &str = "dashdeploy:id";
/// The app folder's name, to tell a person whose a resource is.
pub const FOLDER_TAG: &str = "dashdeploy:folder";
/// When the app was first deployed (RFC 3339, UTC).
pub const DEPLOYED_TAG: &str = "dashdeploy:deployed";

/// The app a resource is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub app: String,
    pub id: String,
    pub folder: String,
    pub deployed: String,
}

impl Owner {
    /// The tags every resource made for this app carries.
    pub fn tags(&self) -> Vec<(&'static str, String)> {
        vec![
            (MANAGED_TAG, "true".to_string()),
            (APP_TAG, self.app.clone()),
            (ID_TAG, self.id.clone()),
            (FOLDER_TAG, tag_value(&self.folder)),
            (DEPLOYED_TAG, self.deployed.clone()),
        ]
    }
}

/// What a resource's tags say of whose it is, next to this folder's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This folder's.
    Ours,
    /// Made by dashdeploy for an app of this name before folders had ids.
    Earlier,
    /// Another app folder's: its folder's name and when it was deployed.
    Other { folder: String, deployed: String },
    /// Not made by dashdeploy (made by hand, or by another tool).
    Untagged,
}

/// Whose the resource with `tags` is, for the app `app` of the folder `id`.
pub fn claim<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    app: &str,
    id: Option<&str>,
) -> Claim {
    let (mut tag_app, mut tag_id, mut folder, mut deployed) = (None, None, None, None);
    for (key, value) in tags {
        match key {
            APP_TAG => tag_app = Some(value),
            ID_TAG => tag_id = Some(value),
            FOLDER_TAG => folder = Some(value),
            DEPLOYED_TAG => deployed = Some(value),
            _ => {}
        }
    }
    match (tag_id, tag_app) {
        (Some(theirs), _) if Some(theirs) == id => Claim::Ours,
        (Some(_), _) => Claim::Other {
            folder: folder.unwrap_or("an unnamed folder").to_string(),
            deployed: deployed.unwrap_or("at an unknown time").to_string(),
        },
        (None, Some(theirs)) if theirs == app => Claim::Earlier,
        (None, Some(_)) => Claim::Other {
            folder: "an earlier dashdeploy's app".to_string(),
            deployed: deployed.unwrap_or("at an unknown time").to_string(),
        },
        (None, None) => Claim::Untagged,
    }
}

/// A value every AWS service takes as a tag: letters, digits, spaces and
/// `_ . : / = + - @`, at most 128 characters; anything else becomes `_`.
pub fn tag_value(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(128)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner {
        Owner {
            app: "dashboard".into(),
            id: "0f3a9c2e7b1d".into(),
            folder: "dashboard (v2) & co".into(),
            deployed: "2026-11-30T01:02:03Z".into(),
        }
    }

    #[test]
    fn what_is_made_says_whose_it_is() {
        let tags = owner().tags();
        let pairs = || tags.iter().map(|(k, v)| (*k, v.as_str()));
        assert_eq!(
            claim(pairs(), "dashboard", Some("0f3a9c2e7b1d")),
            Claim::Ours
        );
        assert_eq!(
            claim(pairs(), "dashboard", Some("somethingelse")),
            Claim::Other {
                folder: "dashboard _v2_ _ co".into(),
                deployed: "2026-11-30T01:02:03Z".into()
            }
        );
        assert_eq!(
            claim(pairs(), "dashboard", None),
            Claim::Other {
                folder: "dashboard _v2_ _ co".into(),
                deployed: "2026-11-30T01:02:03Z".into()
            },
            "a folder without an id owns nothing that has one"
        );
        let earlier = [(APP_TAG, "dashboard"), (MANAGED_TAG, "true")];
        assert_eq!(
            claim(earlier, "dashboard", Some("0f3a9c2e7b1d")),
            Claim::Earlier
        );
        assert!(matches!(
            claim(earlier, "other", Some("0f3a9c2e7b1d")),
            Claim::Other { .. }
        ));
        assert_eq!(
            claim([("Name", "x")], "dashboard", Some("0f3a9c2e7b1d")),
            Claim::Untagged
        );
    }

    #[test]
    fn tag_values_keep_to_what_every_service_accepts() {
        assert_eq!(tag_value("sales-dashboard_v2.1"), "sales-dashboard_v2.1");
        assert_eq!(tag_value("a&b (c)"), "a_b _c_");
        assert_eq!(tag_value(&"x".repeat(300)).len(), 128);
    }
}
