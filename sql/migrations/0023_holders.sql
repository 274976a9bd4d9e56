-- Data stays with its holders: each holding organisation runs mado-holder beside its own
-- systems, and Mado relays a decided query there with a signed access ticket. This is
-- where Mado finds each holder (set with `mado holder-url`); a holder with none cannot be
-- asked, and a query for its items answers 503 with the failure recorded.
SET LOCAL ROLE mado_owner;

ALTER TABLE portal.organisations
	ADD COLUMN holder_url text CHECK (holder_url ~ '^https://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~/-]*)?$');
