package store

// schemaAppSig adds the per-app SAML signature algorithm ("" means the
// sandbox's default, see [App.SignatureAlgorithm]) and an index for the
// prune of delivered webhooks ([Store.PruneOutbox]).
const schemaAppSig = `
ALTER TABLE apps ADD COLUMN sso_signature_algorithm TEXT NOT NULL DEFAULT ''
	CHECK (sso_signature_algorithm IN ('', 'rsa-sha256', 'rsa-sha1'));
CREATE INDEX webhook_deliveries_delivered ON webhook_deliveries(state, delivered_at);
CREATE INDEX connec_changes_created ON connec_changes(fanned_out, created_at);
`
