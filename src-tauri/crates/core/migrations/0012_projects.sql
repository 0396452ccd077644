-- Projects: a named group of chats holding defaults its chats inherit. A NULL default means
-- "inherit from the app's settings"; a chat's own option still wins over the project's.
CREATE TABLE projects (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    -- The name folded to lower case by Confab (Unicode-aware, unlike SQLite's NOCASE, which folds
    -- ASCII only): two projects never differ by case alone.
    name_key      TEXT    NOT NULL UNIQUE,
    system_prompt TEXT,
    model         TEXT,
    temperature   REAL CHECK (temperature IS NULL OR (temperature >= 0 AND temperature <= 2)),
    memory        TEXT CHECK (memory IS NULL OR memory IN ('full', 'window', 'summary', 'recall')),
    -- Whether the sidebar shows the project folded; kept across restarts.
    collapsed     INTEGER NOT NULL DEFAULT 0 CHECK (collapsed IN (0, 1)),
    -- The sidebar's order of projects.
    position      INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- Deleting a project moves its chats out (the project's id becomes NULL); deleting them with it
-- is done explicitly, in the same transaction, before the project row goes.
ALTER TABLE conversations ADD COLUMN project_id INTEGER REFERENCES projects (id) ON DELETE SET NULL;

-- The sidebar lists each project's chats, and the chats outside every project, in activity order.
CREATE INDEX conversations_by_project
    ON conversations (project_id, archived, pinned DESC, updated_at DESC, id DESC);
