-- Independent oversight: the supervisor's staff log in as staff (role supervisor, bound to
-- an organisation of kind supervisor), the anomaly cases the database finds in the access
-- log, and the supervisor's handling of disputes.
SET LOCAL ROLE mado_owner;

ALTER TABLE portal.staff DROP CONSTRAINT staff_role_check;
ALTER TABLE portal.staff ADD CONSTRAINT staff_role_check
	CHECK (role IN ('clerk', 'desk-lead', 'supervisor'));
