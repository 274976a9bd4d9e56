-- The transparency log's queue is vacuumed as a queue, not as a table that mostly grows.
--
-- Every record adds a row to portal.tlog_pending and the sequencer deletes it once the
-- record is a leaf. The sequencer reads the queue from its head, where the rows it just
-- deleted lie until a vacuum removes them; with the default thresholds (a fifth of the
-- table dead) and throttling, a backlog of 10 million records left millions of dead rows
-- there, and each batch stepped over all of them (the sequencer fell from about 60,000
-- leaves a second to under 20,000 as it drained). Vacuumed once 50,000 rows are dead,
-- unthrottled, the head stays short.
SET LOCAL ROLE mado_owner;

ALTER TABLE portal.tlog_pending SET (
	autovacuum_vacuum_scale_factor = 0,
	autovacuum_vacuum_threshold = 50000,
	autovacuum_vacuum_cost_delay = 0
);
