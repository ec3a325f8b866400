//! Configuration files.

pub mod slots;
