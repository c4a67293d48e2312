"""The warehouse's tables: keys, Parquet partitions and the migrations that build them.

Migrations only add (tables, columns with ``IF NOT EXISTS``) and each is safe after any
later one, because they were written on separate branches: a file migrated to 3 still
gets 2. The naming convention (README, "Names"): tables say what they hold, ``*_at``
timestamps, ``*_date`` dates, ``is_*``/``has_*`` booleans, ``n_*`` counts.
"""

from __future__ import annotations

SCHEMA_VERSION = 13  # the highest migration (8 and 9 were reserved for other branches and never used)

# Primary keys per table, used for upserts and de-duplication of each batch.
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "papers": ("paper_id",),
    "links": ("paper_id", "repo_url"),
    "repos": ("repo_key",),
    "repo_files": ("repo_key", "path"),
    "repo_evidence": ("repo_key", "path", "module", "kind"),
    "classifications": ("repo_key", "classifier_version"),
    "runs": ("run_id",),
    "source_files": ("source", "path"),
    "sample_strata": ("venue", "year", "source_stratum", "title_stratum"),
    "sample_papers": ("paper_id",),
}

# Hive partition column of each table's Parquet export.
PARTITION_BY: dict[str, str] = {
    "papers": "year",
    "links": "source",
    "repos": "status",
    "repo_files": "kind",
    "repo_evidence": "kind",
    "classifications": "framework",
    "runs": "flow",
    "source_files": "source",
    "sample_strata": "year",
    "sample_papers": "source_stratum",
}

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE papers (
        paper_id VARCHAR PRIMARY KEY,      -- PWC paper_url, or the source's stable id
        title VARCHAR,
        arxiv_id VARCHAR,
        venue VARCHAR,                     -- canonical venue (NeurIPS, CVPR, ...), NULL if none
        year INTEGER,                      -- conference year when known, else publication year
        is_workshop BOOLEAN,
        proceeding VARCHAR,                -- the raw venue string as the source gave it
        conference VARCHAR,
        published_date DATE,
        source VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL
    );
    CREATE TABLE links (
        paper_id VARCHAR NOT NULL,
        repo_url VARCHAR NOT NULL,         -- normalised URL; the raw one when unparseable
        repo_url_raw VARCHAR,
        repo_key VARCHAR,                  -- lower-case owner/name on GitHub, else NULL
        host VARCHAR,
        scope VARCHAR,                     -- sub-folder the link points into, if any
        is_official BOOLEAN,
        mentioned_in_paper BOOLEAN,
        mentioned_in_github BOOLEAN,
        pwc_framework VARCHAR,             -- Papers with Code's own label, for comparison only
        skip_reason VARCHAR,               -- why the link is not crawled; NULL when it is
        source VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL,
        PRIMARY KEY (paper_id, repo_url)
    );
    CREATE TABLE repos (
        repo_key VARCHAR PRIMARY KEY,
        full_name VARCHAR,                 -- owner/name with GitHub's case (after renames)
        status VARCHAR NOT NULL,           -- pending|ok|missing|blocked|disabled|empty|renamed|failed
        status_reason VARCHAR,
        renamed_to VARCHAR,
        created_at TIMESTAMP,
        pushed_at TIMESTAMP,
        first_commit_at TIMESTAMP,
        last_commit_at TIMESTAMP,
        dates_from VARCHAR,                -- github-api | snapshot-roots | snapshot-history (the sample's older rule)
        n_stars INTEGER,
        language VARCHAR,
        default_branch VARCHAR,
        head_commit VARCHAR,
        is_archived BOOLEAN,
        etag VARCHAR,
        n_files INTEGER,
        n_evidence_files INTEGER,
        n_attempts INTEGER DEFAULT 0,
        crawled_at TIMESTAMP,
        source VARCHAR
    );
    CREATE TABLE repo_files (
        repo_key VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        kind VARCHAR,
        n_bytes BIGINT,
        problem VARCHAR,                   -- why a file was read only in part or not at all
        PRIMARY KEY (repo_key, path)
    );
    CREATE TABLE repo_evidence (
        repo_key VARCHAR NOT NULL,
        path VARCHAR NOT NULL,
        module VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        is_weak BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (repo_key, path, module, kind)
    );
    CREATE TABLE classifications (
        repo_key VARCHAR NOT NULL,
        classifier_version VARCHAR NOT NULL,
        framework VARCHAR NOT NULL,
        confidence DOUBLE,
        scores VARCHAR,                    -- JSON {label: score}
        reason VARCHAR,
        evidence VARCHAR,                  -- JSON [[path, module, kind, is_weak], ...] that drove it
        classified_at TIMESTAMP NOT NULL,
        PRIMARY KEY (repo_key, classifier_version)
    );
    CREATE TABLE runs (
        run_id VARCHAR PRIMARY KEY,
        flow VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        status VARCHAR NOT NULL,           -- running|completed|failed
        parameters VARCHAR,                -- JSON, never secrets
        counts VARCHAR,                    -- JSON
        error VARCHAR
    );
    """,
    # 3 (crawler): change detection for refreshes. head_tree is the tree sha of the default
    # branch's head (the recursive tree call returns it without extra quota); tree_etag makes
    # that call conditional (a 304 is free).
    3: """
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS head_tree VARCHAR;
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS tree_etag VARCHAR;
    """,
    4: """
    -- what a file-based source last loaded, so an unchanged file is not loaded again
    CREATE TABLE IF NOT EXISTS source_files (
        source VARCHAR NOT NULL,
        path VARCHAR NOT NULL,             -- the file's name within its source
        sha256 VARCHAR NOT NULL,
        loaded_at TIMESTAMP NOT NULL,
        PRIMARY KEY (source, path)
    );
    """,
    5: """
    -- who runs a run, so a run whose process died can be told from one still going
    ALTER TABLE runs ADD COLUMN IF NOT EXISTS pid INTEGER;
    ALTER TABLE runs ADD COLUMN IF NOT EXISTS host VARCHAR;
    """,
    6: """
    -- is the link the paper's own code? (analysis.attribution.attribute); a newer ATTRIBUTION_VERSION, or
    -- facts newer than attributed_at, make the row be attributed again from stored facts
    ALTER TABLE links ADD COLUMN IF NOT EXISTS attribution VARCHAR;
    ALTER TABLE links ADD COLUMN IF NOT EXISTS attribution_reason VARCHAR;
    ALTER TABLE links ADD COLUMN IF NOT EXISTS attribution_version VARCHAR;
    ALTER TABLE links ADD COLUMN IF NOT EXISTS attributed_at TIMESTAMP;
    -- what the repository says it is, for telling unrelated repositories apart
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS description VARCHAR;
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS readme_title VARCHAR;
    """,
    # 7 (scale): when a repository is next due for a check, so gone ones (missing, blocked,
    # disabled, empty, failed past their tries) are re-asked on a growing backoff, not every run.
    # NULL means due now (pending, or failed with tries left). Existing rows get the rule's dates.
    7: """
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS next_check_at TIMESTAMP;
    UPDATE repos SET next_check_at = CASE
        WHEN status = 'ok' THEN coalesce(crawled_at, TIMESTAMP '1970-01-01') + INTERVAL 30 DAY
        WHEN status IN ('missing', 'blocked', 'disabled', 'empty')
            OR (status = 'failed' AND coalesce(n_attempts, 0) >= 3)
            THEN coalesce(crawled_at, TIMESTAMP '1970-01-01') + INTERVAL 7 DAY
        END
    WHERE next_check_at IS NULL;
    """,
    10: """
    -- the bundled sample's strata: how many links the source lists hold per (venue, year)
    -- and how many the sample drew, so all-venue shares can be weighted like the population
    CREATE TABLE IF NOT EXISTS sample_strata (
        venue VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        n_population INTEGER NOT NULL,
        n_drawn INTEGER NOT NULL,
        PRIMARY KEY (venue, year)
    );
    """,
    # 11 (forks): a fork inherits its parent's history, so its code starts at its own creation,
    # and a fork linked beside its parent is not the paper's code (analysis/attribution).
    11: """
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS is_fork BOOLEAN;
    ALTER TABLE repos ADD COLUMN IF NOT EXISTS fork_parent VARCHAR;   -- the parent's lower-case owner/name
    """,
    12: """
    -- issue 25: the sample's strata are cells (venue, year, source stratum, title stratum):
    -- which kind of list a link comes from (conference-wide or topic) and, in 2014-2017,
    -- whether the title reads like deep learning (analysis.shares.title_strata). The table is
    -- reloaded from data/sample/strata.csv on every load, so it is recreated with the new key.
    DROP TABLE IF EXISTS sample_strata;
    CREATE TABLE sample_strata (
        venue VARCHAR NOT NULL,
        year INTEGER NOT NULL,
        source_stratum VARCHAR NOT NULL,   -- conference | topic
        title_stratum VARCHAR NOT NULL,    -- dl | other (2014-2017), all (other years)
        n_population INTEGER NOT NULL,
        n_drawn INTEGER NOT NULL,
        PRIMARY KEY (venue, year, source_stratum, title_stratum)
    );
    -- each sample paper's cell, so the weights know which cell a paper was drawn in
    CREATE TABLE IF NOT EXISTS sample_papers (
        paper_id VARCHAR PRIMARY KEY,
        source_stratum VARCHAR NOT NULL,
        title_stratum VARCHAR NOT NULL
    );
    """,
    # 13 (comparison, issue 26; numbered 12 on its branch, after the sample cells here): which list within its
    # source a paper came from (the bundled sample's lists: machine-extracted or hand-curated), a factor of the
    # published comparison (analysis.shares.gap).
    13: """
    -- e.g. papercopilot/paperlists/cvpr/cvpr2019.json@<commit>
    ALTER TABLE papers ADD COLUMN IF NOT EXISTS source_list VARCHAR;
    """,
}
