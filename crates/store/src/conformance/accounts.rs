//! Conformance story for accounts (reserved for issue 3).
