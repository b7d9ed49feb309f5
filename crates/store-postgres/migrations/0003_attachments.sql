-- Schema version 3: attachments (reserved for issue 3; filled by the change that builds it).
SELECT 1;
