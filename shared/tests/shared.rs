//! Every integration test of `plumbline-shared`, as modules of one test binary: one link
//! instead of seven (see `sync-server/tests/server.rs` for why the workspace does this). Name a
//! module to run only its tests (`cargo test -p plumbline-shared --test shared workflow::`).

mod convergence;
mod may;
mod project_doc;
mod simulation;
mod template;
mod unit_doc;
mod workflow;
