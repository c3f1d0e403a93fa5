package store

// schemaAccount holds the tables of the account API (resellers, bills,
// recurring bills) and the columns the account API adds to the core tables.
const schemaAccount = `
-- account API tables: filled in by the account API work.
SELECT 1;
`
