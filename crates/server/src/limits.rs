//! (reserved for issue 3: abuse limits)
