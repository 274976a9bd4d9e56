-- A push programme states what its notices may mention and how many it may send a month,
-- so that the person can read the terms before turning notices on; a push consent given
-- from now on carries the programme's monthly limit.
SET LOCAL ROLE mado_owner;

ALTER TABLE portal.push_programmes
	ADD COLUMN items text[] NOT NULL DEFAULT '{}',
	ADD COLUMN max_per_month integer NOT NULL DEFAULT 10
		CHECK (max_per_month BETWEEN 1 AND 1000);
