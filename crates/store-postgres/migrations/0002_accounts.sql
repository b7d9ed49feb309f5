-- Schema version 2: accounts (reserved for issue 3; filled by the change that builds it).
SELECT 1;
