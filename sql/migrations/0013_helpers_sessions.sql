-- Helpers: a desk clerk in a visit and a proxy under a mandate act in a session of the
-- person they help (channel desk or proxy). What such a session may do, and who the
-- helper is, come from portal.session_helper (sql/functions/auth.sql); each of its
-- requests is recorded in the person's log under one of these purposes, with the themes
-- it used as the items (access-log, my-information, notices, withdraw-consents,
-- disputes, session).
SET LOCAL ROLE mado_owner;

INSERT INTO portal.purposes (code, name_ja, name_en, explain_ja, explain_en)
VALUES ('desk-visit', '窓口での手助け', 'Help at a support desk',
	'あなたが窓口にいらして、職員がお手伝いしたため。',
	'You came to a support desk and a member of staff helped you.'),
       ('proxy-mandate', '代理人による手続', 'Your proxy acting for you',
	'あなたが代理を頼んだ人が、頼んだ範囲で手続したため。',
	'Someone you gave a mandate to acted for you, within its themes.')
ON CONFLICT (code) DO NOTHING;
