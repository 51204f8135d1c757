//! dashdeploy: takes a Plotly Dash app from a folder to a running, watched
//! container on AWS ECS Fargate.
//!
//! Layers: `pipeline` (the steps, UI-free) over the adapters `docker` and
//! `aws`; `app` (wizard state, synchronous) and `ui` (drawing) over it;
//! `tui` runs the terminal and the event loop.

pub mod app;
pub mod aws;
pub mod cli;
pub mod config;
pub mod dashapp;
pub mod destroy;
pub mod docker;
pub mod fargate;
pub mod headless;
pub mod http_probe;
pub mod logging;
pub mod monitor;
pub mod pipeline;
pub mod plan;
pub mod pricing;
pub mod record;
pub mod sample;
pub mod tui;
pub mod ui;
pub mod watch_commands;
