-- Reserved: migration 0008 is taken by a change developed in parallel. This placeholder
-- only keeps the numbering whole for this line of work and is replaced by that change.
SELECT 1;
