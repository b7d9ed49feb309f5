//! (reserved for issue 3: webhooks for units' own systems)
