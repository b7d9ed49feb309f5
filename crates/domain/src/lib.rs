//! The grid-governance domain (网格化治理领域模型), free of I/O.
//!
//! Everything here is plain Rust: codes, the jurisdiction tree and its grids, the taxonomy, the
//! responsibility list, the case state machine, working-time deadlines and the SM3 audit chain.
//! It can be tested in microseconds and read without knowing HTTP or SQL.
//!
//! Architecture invariant: no I/O, no database driver, no HTTP. Data files are parsed from
//! strings that callers read.

pub mod audit;
pub mod calendar;
pub mod case;
pub mod codes;
pub mod duplicates;
pub mod evaluation;
pub mod geo;
pub mod jurisdiction;
pub mod lang;
pub mod personal;
pub mod queue;
pub mod responsibility;
pub mod staff;
pub mod taxonomy;
pub mod time;

pub use lang::{Lang, Refusal};
