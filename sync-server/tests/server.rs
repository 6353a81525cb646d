//! Every integration test of the sync server, as modules of one test binary.
//!
//! One binary instead of one per file: each would link the whole server and its dependencies
//! again (and compile their generic code again), which cost minutes of every test run. The
//! modules run in parallel as before; name a module to run only its tests
//! (`cargo test -p plumbline-sync-server --test server web_reports::`).

mod common;

mod authorization;
mod binary;
mod blobs;
mod browser;
mod crash;
mod hardening;
mod import;
mod on_postgres;
mod openapi;
mod reminders;
mod route_walk;
mod second_client;
mod store_conformance;
mod sync;
mod verdicts;
mod web;
mod web_admin;
mod web_archives;
mod web_demo;
mod web_devices;
mod web_fines;
mod web_intake;
mod web_pack;
mod web_plans;
mod web_readiness;
mod web_reports;
mod web_rules;
mod web_walks;
mod webhooks;
mod workflow_settings;
