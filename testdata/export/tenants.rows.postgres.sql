BEGIN;
SET LOCAL standard_conforming_strings = on;
SET CONSTRAINTS ALL DEFERRED;
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
SELECT setval(pg_get_serial_sequence('"tenants"', 'id'), 3, false);
SELECT setval(pg_get_serial_sequence('"members"', 'id'), 3, false);
COMMIT;
