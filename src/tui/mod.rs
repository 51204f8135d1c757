//! The full-screen wizard: the terminal, its keys and the event loop.

pub mod editor;
pub mod event_loop;
pub mod keys;
mod open_url;
pub mod terminal;
