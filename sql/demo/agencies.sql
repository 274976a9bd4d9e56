-- Demo data for the embedded default and the tests: five data-holding agencies, a police
-- agency with a sealable basis, a processor relaying for the welfare office, the
-- supervisor, a support desk, their legal bases and the items each holds. The values
-- themselves live with each holder, in its own database (sql/holder/demo.sql, run by
-- scripts/holders and the tests' harness), never here. Safe to run again: it adds what
-- is missing.
-- Not a migration: production agencies and bases come from their own onboarding.
SET client_min_messages = warning;
BEGIN;
SET LOCAL ROLE mado_owner;

INSERT INTO portal.organisations (code, kind, name_ja, name_en, gateway_since, reports_since) VALUES
	('residents-registry', 'agency', '住民基本台帳ネットワーク', 'Residents Registry', '2024-04-01', NULL),
	('tax-office', 'agency', '税務署', 'Tax Office', '2024-04-01', '2024-10-01'),
	('pension-service', 'agency', '日本年金機構', 'Japan Pension Service', '2024-04-01', '2025-01-01'),
	('health-insurer', 'agency', '全国健康保険協会', 'Health Insurance Association', '2024-04-01', '2025-04-01'),
	('city-welfare', 'agency', '市福祉事務所', 'City Welfare Office', '2024-04-01', '2024-07-01'),
	('welfare-it', 'agency', '自治体情報システム機構', 'Municipal IT Centre (processor)', '2025-01-01', NULL),
	('police', 'agency', '警察庁', 'National Police Agency', '2025-01-01', NULL),
	('data-commission', 'supervisor', '個人情報保護委員会', 'Personal Information Protection Commission', NULL, NULL),
	('kakeibo-app', 'private', 'かけいぼアプリ', 'Kakeibo household budget app', '2026-01-01', NULL),
	('sakura-bank', 'private', 'さくら銀行', 'Sakura Bank', '2026-01-01', NULL),
	('city-desk', 'desk', '市役所 マイデータ相談窓口', 'City Hall My Data help desk', NULL, NULL)
ON CONFLICT (code) DO NOTHING;

INSERT INTO portal.org_relays (processor, controller) VALUES ('welfare-it', 'city-welfare')
ON CONFLICT DO NOTHING;

INSERT INTO portal.data_items (code, holder, sensitive, name_ja, name_en) VALUES
	('resident.name', 'residents-registry', false, '氏名', 'Name'),
	('resident.address', 'residents-registry', false, '住所', 'Address'),
	('resident.household', 'residents-registry', false, '世帯構成', 'Household'),
	('tax.income', 'tax-office', false, '所得', 'Income'),
	('tax.withholding', 'tax-office', false, '源泉徴収', 'Tax withheld'),
	('pension.record', 'pension-service', false, '年金記録', 'Pension record'),
	('pension.benefit', 'pension-service', false, '年金給付額', 'Pension benefit'),
	('health.coverage', 'health-insurer', false, '保険資格', 'Insurance coverage'),
	('health.claims', 'health-insurer', true, '診療報酬明細', 'Medical claims'),
	('welfare.benefit', 'city-welfare', true, '生活保護', 'Public assistance'),
	('welfare.disability', 'city-welfare', true, '障害者手帳', 'Disability certificate')
ON CONFLICT (code) DO NOTHING;
-- Where each holder's values come from, as My information shows it.
UPDATE portal.data_items d SET source_ja = s.ja, source_en = s.en
FROM (VALUES
	('residents-registry', '住民基本台帳', 'Basic resident register'),
	('tax-office', '課税台帳（確定申告・源泉徴収票）', 'Tax records (returns and withholding slips)'),
	('pension-service', '年金記録', 'Pension records'),
	('health-insurer', '被保険者台帳', 'Register of the insured'),
	('city-welfare', '福祉の支給記録', 'Welfare case records')
) AS s (holder, ja, en)
WHERE d.holder = s.holder AND d.source_ja = '';

INSERT INTO portal.purposes (code, name_ja, name_en, explain_ja, explain_en) VALUES
	('registry.verification', '本人確認', 'Identity check',
	 '住民票の記載事項を確認するため。', 'To confirm what your residence record says.'),
	('tax.assessment', '税額の算定', 'Tax assessment',
	 'あなたの税額を正しく計算するため。', 'To calculate your tax correctly.'),
	('pension.eligibility', '年金の受給資格の確認', 'Pension eligibility',
	 '年金を受け取れるか、いくら受け取れるかを確認するため。',
	 'To check whether and how much pension you can receive.'),
	('health.eligibility', '保険料・給付の判定', 'Health insurance eligibility',
	 '保険料の額や給付の対象かどうかを判断するため。',
	 'To decide your premium and which benefits you can receive.'),
	('welfare.eligibility', '福祉サービスの審査', 'Welfare eligibility',
	 '申請された福祉サービスの支給を審査するため。',
	 'To assess an application for welfare support.'),
	('budget.planning', '家計の管理', 'Household budgeting',
	 'あなたの収入と年金から家計の見通しを作るため。',
	 'To plan your household budget from your income and pension.'),
	('loan.screening', 'ローンの審査', 'Loan screening',
	 'あなたが申し込んだローンの審査で、収入と住所を確かめるため。',
	 'To check your income and address for a loan you applied for.'),
	('benefit.notice', '給付のお知らせ', 'Benefit notices',
	 '受けられる可能性のある給付をお知らせするため。',
	 'To tell you about benefits you may be eligible for.'),
	('law-enforcement.investigation', '犯罪捜査', 'Criminal investigation',
	 '裁判官の令状等に基づく捜査のため。公開日まで詳細は伏せられます。',
	 'For an investigation authorised by a court; details stay sealed until the disclosure date.')
ON CONFLICT (code) DO NOTHING;

-- Legal bases and private services are register entries: the demo operator proposes them
-- here (a name and a key of the demo's own; `mado register-decide` checks only that the
-- approver's key differs) and a demo supervisor staff member approves them with
-- `mado register-decide --all-pending` (scripts/demo, the tests' harness). Until then the
-- gateway finds no basis. Run again, an entry already in force or proposed is not
-- proposed again.
DO $$
BEGIN
PERFORM portal.register_propose('legal-basis', jsonb_build_object('org', b.org,
	'purpose', b.purpose, 'legal_ref', b.ref, 'items', to_jsonb(array_agg(b.item ORDER BY b.item)),
	'law_ja', b.law_ja, 'law_en', b.law_en, 'sealable', b.sealable, 'valid_from', '2000-01-01',
	'valid_until', NULL), 'demo operator', encode(sha256('mado demo operator'), 'hex'),
	'demo data')
FROM (VALUES
	('residents-registry', 'resident.name', 'registry.verification', 'BRA-30-9', '住民基本台帳法 第30条の9', 'Basic Resident Registers Act, art. 30-9', false),
	('residents-registry', 'resident.address', 'registry.verification', 'BRA-30-9', '住民基本台帳法 第30条の9', 'Basic Resident Registers Act, art. 30-9', false),
	('tax-office', 'resident.address', 'tax.assessment', 'MNA-T2-72', '番号法 別表第二 72の項', 'My Number Act, Annexed Table 2, item 72', false),
	('tax-office', 'pension.benefit', 'tax.assessment', 'MNA-T2-72', '番号法 別表第二 72の項', 'My Number Act, Annexed Table 2, item 72', false),
	('pension-service', 'resident.address', 'pension.eligibility', 'MNA-T2-48', '番号法 別表第二 48の項', 'My Number Act, Annexed Table 2, item 48', false),
	('pension-service', 'tax.income', 'pension.eligibility', 'MNA-T2-48', '番号法 別表第二 48の項', 'My Number Act, Annexed Table 2, item 48', false),
	('health-insurer', 'resident.household', 'health.eligibility', 'MNA-T2-30', '番号法 別表第二 30の項', 'My Number Act, Annexed Table 2, item 30', false),
	('health-insurer', 'tax.income', 'health.eligibility', 'MNA-T2-30', '番号法 別表第二 30の項', 'My Number Act, Annexed Table 2, item 30', false),
	('city-welfare', 'resident.household', 'welfare.eligibility', 'MNA-T2-21', '番号法 別表第二 21の項', 'My Number Act, Annexed Table 2, item 21', false),
	('city-welfare', 'tax.income', 'welfare.eligibility', 'MNA-T2-21', '番号法 別表第二 21の項', 'My Number Act, Annexed Table 2, item 21', false),
	('city-welfare', 'pension.benefit', 'welfare.eligibility', 'MNA-T2-21', '番号法 別表第二 21の項', 'My Number Act, Annexed Table 2, item 21', false),
	('city-welfare', 'health.coverage', 'welfare.eligibility', 'MNA-T2-21', '番号法 別表第二 21の項', 'My Number Act, Annexed Table 2, item 21', false),
	('police', 'resident.name', 'law-enforcement.investigation', 'MNA-19-15', '番号法 第19条第15号', 'My Number Act, art. 19(15)', true),
	('police', 'resident.address', 'law-enforcement.investigation', 'MNA-19-15', '番号法 第19条第15号', 'My Number Act, art. 19(15)', true)
) AS b (org, item, purpose, ref, law_ja, law_en, sealable)
GROUP BY b.org, b.purpose, b.ref, b.law_ja, b.law_en, b.sealable;

-- Private services (what they may ever ask for).
PERFORM portal.register_propose('private-service', jsonb_build_object('org', s.org,
	'name_ja', o.name_ja, 'name_en', o.name_en, 'purposes', to_jsonb(s.purposes),
	'items', to_jsonb(s.items), 'redirect_uris', to_jsonb(s.redirects)), 'demo operator',
	encode(sha256('mado demo operator'), 'hex'), 'demo data')
FROM (VALUES
	('kakeibo-app', ARRAY['budget.planning'], ARRAY['tax.income', 'pension.benefit'],
	 ARRAY['https://kakeibo.example/callback', 'http://127.0.0.1:8447/kakeibo-app/callback']),
	('sakura-bank', ARRAY['loan.screening'], ARRAY['tax.income', 'resident.address'],
	 ARRAY['https://sakura-bank.example/loan/callback',
	       'http://127.0.0.1:8447/sakura-bank/callback'])
) AS s (org, purposes, items, redirects)
JOIN portal.organisations o ON o.code = s.org
WHERE NOT EXISTS (SELECT 1 FROM portal.rp_services r WHERE r.org_code = s.org);
END
$$;
-- A push-notice programme.
INSERT INTO portal.push_programmes (code, org_code, purpose, name_ja, name_en, items,
				    max_per_month) VALUES
	('benefit-eligibility', 'city-welfare', 'benefit.notice', '給付の受給資格のお知らせ',
	 'Benefit eligibility notices', ARRAY['tax.income', 'pension.benefit', 'welfare.benefit'], 4)
ON CONFLICT (code) DO UPDATE SET items = EXCLUDED.items, max_per_month = EXCLUDED.max_per_month;

COMMIT;
