CREATE TABLE "tenants" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "name" TEXT NOT NULL
);

CREATE TABLE "members" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "email" TEXT NOT NULL,
  CONSTRAINT "members_email" UNIQUE ("email")
);

CREATE TABLE "projects" (
  "tenant_id" INTEGER NOT NULL,
  "id" INTEGER NOT NULL,
  "name" TEXT NOT NULL,
  "code" INTEGER,
  PRIMARY KEY ("tenant_id", "id"),
  CONSTRAINT "projects_code" UNIQUE ("tenant_id", "code"),
  CONSTRAINT "projects_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE ON UPDATE NO ACTION
);

CREATE TABLE "tasks" (
  "tenant_id" INTEGER NOT NULL DEFAULT 1,
  "id" INTEGER NOT NULL,
  "project_id" INTEGER DEFAULT 1,
  "owner" TEXT DEFAULT 'it''s@x',
  "title" TEXT NOT NULL,
  PRIMARY KEY ("tenant_id", "id"),
  CONSTRAINT "tasks_project" FOREIGN KEY ("tenant_id", "project_id") REFERENCES "projects" ("tenant_id", "id") ON DELETE CASCADE ON UPDATE NO ACTION DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT "tasks_owner" FOREIGN KEY ("owner") REFERENCES "members" ("email") ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX "tasks_project_index" ON "tasks" ("tenant_id", "project_id");
CREATE INDEX "tasks_owner_index" ON "tasks" ("owner");

