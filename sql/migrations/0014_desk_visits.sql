-- Support desks: staff, their sessions at the desk terminal, and visits. A clerk logs in
-- with a staff certificate from an organisation CA that the operator bound to a desk
-- organisation and a role (mado staff-bind); the log names them by a pseudonymous
-- reference, never by name. A visit is started by the clerk and taken up by the resident's
-- own card at the counter: it opens a session of channel desk for the resident, tied to
-- the visit, which lasts until "end customer" or the visit's time limit, whichever is first.
SET LOCAL ROLE mado_owner;

CREATE TABLE portal.staff (
	id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	ref        text NOT NULL UNIQUE CHECK (ref ~ '^S-[0-9a-f]{12}$'),
	key_hash   text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
	org_code   text NOT NULL REFERENCES portal.organisations (code),
	role       text NOT NULL CHECK (role IN ('clerk', 'desk-lead')),
	created_at timestamptz NOT NULL DEFAULT now(),
	revoked_at timestamptz
);

-- The staff member's own session (cookie __Host-staff), apart from residents' sessions:
-- it never carries a person, and a person's session never carries staff.
CREATE TABLE portal.staff_sessions (
	id_hash    bytea PRIMARY KEY CHECK (length(id_hash) = 32),
	staff_id   uuid NOT NULL REFERENCES portal.staff (id),
	csrf_token text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL
);
CREATE INDEX staff_sessions_staff ON portal.staff_sessions (staff_id);

-- A visit: started by a staff session, taken up once by a resident's card (the challenge
-- the card signs is the visit's own), ended by the clerk, by the next visit at the same
-- terminal, or by its time limit.
CREATE TABLE portal.desk_visits (
	id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	staff_id      uuid NOT NULL REFERENCES portal.staff (id),
	terminal      bytea NOT NULL CHECK (length(terminal) = 32),
	person_id     uuid REFERENCES portal.people (id),
	nonce         text CHECK (length(nonce) = 44),
	nonce_expires timestamptz,
	started_at    timestamptz NOT NULL DEFAULT now(),
	card_at       timestamptz,
	ends_at       timestamptz NOT NULL,
	ended_at      timestamptz,
	end_reason    text CHECK (end_reason IN ('end-customer', 'new-visit', 'new-card',
						 'staff-logout', 'time-limit')),
	CHECK ((person_id IS NULL) = (card_at IS NULL)),
	CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX desk_visits_person ON portal.desk_visits (person_id, started_at DESC);
CREATE INDEX desk_visits_terminal ON portal.desk_visits (terminal) WHERE ended_at IS NULL;

-- Only a session of channel desk belongs to a visit; one without a visit can do nothing
-- (portal.desk_session_helper finds no visit for it).
ALTER TABLE portal.sessions ADD COLUMN desk_visit uuid REFERENCES portal.desk_visits (id);
ALTER TABLE portal.sessions ADD CONSTRAINT sessions_desk_visit
	CHECK (desk_visit IS NULL OR channel = 'desk');

-- Everything goes through the functions of sql/functions/desk.sql.
REVOKE ALL ON portal.staff, portal.staff_sessions, portal.desk_visits FROM PUBLIC;
