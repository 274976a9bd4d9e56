-- Mado keeps no agency's data. The demo once loaded each agency's values into schemas of
-- Mado's own database (agency_registry, agency_tax, agency_pension, agency_health,
-- agency_welfare) and the gateway read them there; now every value lives with its holder
-- (mado-holder, its own database, keyed by its own pseudonyms) and Mado only relays what
-- the holders seal. The schemas go, and with them data_items.holder_schema: no table of
-- Mado's database holds an item value any more.
--
-- The values are not copied: they belong in the holders' databases, which Mado cannot
-- reach from here. A deployment that kept values in these schemas loads them into its
-- holders first (the demo's holders make theirs with sql/holder/demo.sql).
SET LOCAL ROLE mado_owner;

DROP SCHEMA IF EXISTS agency_registry, agency_tax, agency_pension, agency_health,
	agency_welfare CASCADE;
ALTER TABLE portal.data_items DROP COLUMN holder_schema;
