//! Understanding the user's Dash app. For now: telling whether a folder
//! holds one at all.

pub mod detect;
