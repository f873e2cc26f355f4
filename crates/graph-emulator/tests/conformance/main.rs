//! Conformance suite: drives each documented behaviour of the emulator over real HTTP.

mod common;
mod control_api;
mod delta;
mod faults;
mod graph;
mod identity;
mod tenant;
