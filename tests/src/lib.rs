//! # plumbline-tests
//!
//! End-to-end scenarios across Plumbline's parts: a real sync server on a random port with
//! temporary storage, and several headless device engines acting as inspectors, contractors and
//! office staff, each working offline and then syncing — for example, two inspectors editing the
//! same unit offline converge to the same case record.
//!
//! The scenarios will live in `tests/`, named after what they show; this library will hold the
//! fixtures they share. None exist yet.
