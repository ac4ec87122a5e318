"""New organisations reach the word index after their write, not during it (PostgreSQL).

Migration 0020 indexed inserted organisations in the inserting statement: about 100 µs an
organisation (its words split twice, the vocabulary's trigram index, eight postings and two
indexes), which took the 50,000-row import of the benchmark from 8,000-8,700 down to
4,000-4,900 rows a second, under PRODUCT.md's 5,000. Now an insert only notes the new ids in
`cooperatives_search_pending`; `reless_index_pending(batch)` indexes them in batches, called
by a task after the commit (cooperatives.tasks.index_search_words), by Celery beat every
minute and by the dataset generator. While any id is pending, searches read the
organisations themselves (search_words.WordMatch.page answers None), so a search never
misses a new organisation. A rename or a change of the searched fields is still indexed in
its own statement (one row). The words of a batch are now split once (one statement writes
the vocabulary and the postings).
"""

from django.db import migrations

PENDING = r"""
CREATE TABLE cooperatives_search_pending (organisation_id bigint PRIMARY KEY);

CREATE OR REPLACE FUNCTION reless_index_words(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cooperatives_search_posting
        WHERE organisation_id IN (SELECT unnest(ids));
    -- The words split once for both writes; the vocabulary's rows in a fixed order (a word
    -- another transaction adds meanwhile is waited for, then left to it); the postings do
    -- not read the vocabulary.
    WITH words AS MATERIALIZED (SELECT * FROM reless_words_of(ids)),
         vocabulary AS (
             INSERT INTO cooperatives_search_word (word)
                 SELECT DISTINCT word FROM words ORDER BY word
                 ON CONFLICT DO NOTHING)
    INSERT INTO cooperatives_search_posting (word, organisation_id, flags, name)
        SELECT * FROM words;
END $$;

CREATE FUNCTION reless_index_pending(batch integer) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    WITH taken AS (
        DELETE FROM cooperatives_search_pending WHERE organisation_id IN (
            SELECT organisation_id FROM cooperatives_search_pending
            ORDER BY organisation_id LIMIT batch FOR UPDATE SKIP LOCKED)
        RETURNING organisation_id)
    SELECT array_agg(organisation_id) INTO ids FROM taken;
    IF ids IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM reless_index_words(ids);
    RETURN cardinality(ids);
END $$;

CREATE OR REPLACE FUNCTION reless_words_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cooperatives_search_pending (organisation_id)
        SELECT id FROM inserted ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reless_words_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cooperatives_search_posting
        WHERE organisation_id IN (SELECT id FROM deleted);
    DELETE FROM cooperatives_search_pending
        WHERE organisation_id IN (SELECT id FROM deleted);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reless_words_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE cooperatives_search_posting, cooperatives_search_word,
        cooperatives_search_pending;
    RETURN NULL;
END $$;
"""

BACK = r"""
SELECT reless_index_words(ARRAY(SELECT organisation_id FROM cooperatives_search_pending));

CREATE OR REPLACE FUNCTION reless_index_words(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cooperatives_search_posting
        WHERE organisation_id IN (SELECT unnest(ids));
    INSERT INTO cooperatives_search_word (word)
        SELECT DISTINCT word FROM reless_words_of(ids) ORDER BY word
        ON CONFLICT DO NOTHING;
    INSERT INTO cooperatives_search_posting (word, organisation_id, flags, name)
        SELECT * FROM reless_words_of(ids);
END $$;

CREATE OR REPLACE FUNCTION reless_words_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reless_index_words(ARRAY(SELECT id FROM inserted));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reless_words_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cooperatives_search_posting
        WHERE organisation_id IN (SELECT id FROM deleted);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION reless_words_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE cooperatives_search_posting, cooperatives_search_word;
    RETURN NULL;
END $$;

DROP FUNCTION reless_index_pending(integer);
DROP TABLE cooperatives_search_pending;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PENDING)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACK)


class Migration(migrations.Migration):

    dependencies = [
        ("cooperatives", "0020_search_words"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
