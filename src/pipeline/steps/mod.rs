//! The eleven steps, one file each, in the order the tutorial does them.
//! A step starts from the [`Spec`](super::Spec), reports through its
//! [`Reporter`](super::runner::Reporter), and shares with the others only
//! through the spec and the small modules beside `steps` (never by
//! importing another step).

pub mod app;
pub mod build;
pub mod deploy;
pub mod dockerfile;
pub mod local_test;
pub mod monitor;
pub mod network;
pub mod prereqs;
pub mod push;
pub mod registry;
pub mod sizing;
