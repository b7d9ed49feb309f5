//! Conformance story for attachments (reserved for issue 3).
