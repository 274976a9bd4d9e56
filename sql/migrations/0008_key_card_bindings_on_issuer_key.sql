-- A card is the issuing CA's key and the serial, not the CA's name and the serial: two
-- generations of a CA may share a name (JPKI's 2015 and 2023 user-authentication CAs do),
-- and a serial is only unique under one key.
--
-- issuer_key is the SHA-256 (hex) of the DER SubjectPublicKeyInfo of the trust anchor
-- whose key verifies the stored certificate's signature. SQL cannot verify a signature, so
-- the rows made before this migration are keyed from their stored certificate (cert) by
-- the server at start (and by mado register-card), against card_trust_dir; a row no
-- anchor signed stays NULL and matches no card until one does.
SET LOCAL ROLE mado_owner;

ALTER TABLE portal.card_bindings
	ADD COLUMN issuer_key text CHECK (issuer_key ~ '^[0-9a-f]{64}$');
ALTER TABLE portal.card_bindings DROP CONSTRAINT card_bindings_issuer_hash_serial_key;
CREATE UNIQUE INDEX card_bindings_issuer_key_serial
	ON portal.card_bindings (issuer_key, serial);
CREATE INDEX card_bindings_unkeyed ON portal.card_bindings (id) WHERE issuer_key IS NULL;
