//! (reserved for issue 3: accounts, sessions, passwords, TOTP, API tokens)
