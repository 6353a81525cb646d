//! HTTP handlers, one module per resource.

pub mod blobs;
pub mod cases;
pub mod contractor;
pub mod enroll;
pub mod health;
pub mod notifications;
pub mod projects;
pub mod sync;
