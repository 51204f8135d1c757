//! Understanding the user's Dash app: where it starts, what it needs fixed
//! to run in a container, what it reads and what must stay out of its image;
//! and the Dockerfile and .dockerignore that package it.

pub mod analysis;
pub mod dependencies;
pub mod detect;
pub mod dockerfile;
pub mod dockerfile_port;
pub mod dotenv;
pub mod env_reads;
pub mod facts;
pub mod fixes;
pub mod pip_failure;
pub mod procfile;
pub mod python;
pub mod python_version;
pub mod requirements;
pub mod scan;
pub mod write;
