//! Conformance story for webhooks (reserved for issue 3).
