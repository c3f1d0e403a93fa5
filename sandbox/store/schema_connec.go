package store

// schemaConnec holds the tables of the Connec! API: JSON documents per group
// and collection, and their external ids.
const schemaConnec = `
-- Connec! tables: filled in by the Connec! API work.
SELECT 1;
`
