//! The end-to-end scenarios, as modules of one test binary (one link of the app, the server
//! and their dependencies instead of one per file). `cargo test -p plumbline-tests --test
//! scenarios foreman::` runs one module.

mod desktop_app;
mod device_engine;
mod engine_crash;
mod field_day;
mod floor_plan;
mod foreman;
