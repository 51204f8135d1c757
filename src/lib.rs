//! dashdeploy: takes a Plotly Dash app from a folder to a running, watched
//! container on AWS ECS Fargate.
//!
//! Layers, top to bottom: `cli` (the command front ends) and `tui` (the
//! terminal and the wizard's event loop) over `app` (the wizard's state,
//! synchronous) and `ui` (drawing it); `pipeline` (the steps and the other
//! use cases, UI-free, starting from one resolved spec) and `monitor` over
//! the adapters `docker` and `aws` (the only places bollard and the AWS SDK
//! appear), `dashapp` (the app's analysis and the files made for it) and
//! `store` (what is kept between runs).

pub mod app;
pub mod aws;
pub mod cli;
pub mod dashapp;
pub mod docker;
pub mod fargate;
pub mod http_probe;
pub mod logging;
pub mod monitor;
pub mod pipeline;
pub mod plain_text;
pub mod pricing;
pub mod sample;
pub mod secret;
pub mod store;
pub mod tui;
pub mod ui;
