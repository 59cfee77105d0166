BEGIN;
PRAGMA defer_foreign_keys = ON;
INSERT INTO "tenants" ("id", "name") VALUES
(1, 'acme'),
(2, 'globex');
INSERT INTO "members" ("id", "email") VALUES
(1, 'ann@x'),
(2, 'bob@x');
INSERT INTO "projects" ("tenant_id", "id", "name", "code") VALUES
(1, 1, 'rocket', NULL),
(1, 2, 'anvil', NULL),
(2, 1, 'dome', NULL);
INSERT INTO "tasks" ("tenant_id", "id", "project_id", "owner", "title") VALUES
(1, 10, 1, 'ann@x', ''),
(1, 11, 1, 'bob@x', ''),
(1, 12, 2, NULL, ''),
(2, 10, 1, 'ann@x', ''),
(2, 11, NULL, NULL, '');
INSERT INTO sqlite_sequence (name, seq) SELECT 'tenants', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tenants');
UPDATE sqlite_sequence SET seq = 2 WHERE name = 'tenants' AND seq < 2;
INSERT INTO sqlite_sequence (name, seq) SELECT 'members', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'members');
UPDATE sqlite_sequence SET seq = 2 WHERE name = 'members' AND seq < 2;
COMMIT;
