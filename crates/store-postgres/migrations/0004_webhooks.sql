-- Schema version 4: webhooks (reserved for issue 3; filled by the change that builds it).
SELECT 1;
