//! The images an ECR repository holds: which digests are still there (an
//! earlier release is restorable only while its image is) and their tags.

use super::error;
use super::session::Session;

/// Each digest in the repository with its tags.
pub async fn images(
    session: &Session,
    repository: &str,
) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut token = None;
    loop {
        let page = match session
            .ecr()
            .list_images()
            .repository_name(repository)
            .set_next_token(token.take())
            .send()
            .await
        {
            Ok(page) => page,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_repository_not_found_exception()) =>
            {
                return Ok(Vec::new());
            }
            Err(e) => return Err(error::sentence("list the images in the ECR repository", &e)),
        };
        for id in page.image_ids() {
            let Some(digest) = id.image_digest() else {
                continue;
            };
            let tags = match out.iter_mut().find(|(d, _)| d == digest) {
                Some((_, tags)) => tags,
                None => {
                    out.push((digest.to_string(), Vec::new()));
                    match out.last_mut() {
                        Some((_, tags)) => tags,
                        None => continue,
                    }
                }
            };
            if let Some(tag) = id.image_tag() {
                tags.push(tag.to_string());
            }
        }
        match page.next_token() {
            Some(next) => token = Some(next.to_string()),
            None => return Ok(out),
        }
    }
}

/// The content tag among an image's tags (not `latest`).
pub fn content_tag(tags: &[String]) -> Option<String> {
    tags.iter().find(|t| t.as_str() != "latest").cloned()
}
