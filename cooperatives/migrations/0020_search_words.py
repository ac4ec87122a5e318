"""The word index of the organisation search (cooperatives.search_words), on PostgreSQL.

Two tables kept by the database itself, beside `search_text`:
- `cooperatives_search_word`: every word (a run of characters between spaces or field
  separators) of every organisation's `search_text`, once, trigram-indexed, so a text with
  no space is looked up among the words rather than checked against every matching row;
- `cooperatives_search_posting`: which organisation holds which word, where (bits: 1 the
  word is a whole field, 2 the first word of the name, 4 a word of the name) and the
  organisation's name, so a search is counted and ranked without reading the organisations.

Triggers keep them: rows inserted (one set-based pass per statement, bulk writes included),
a row whose name or searched text changes (row by row, only those rows), rows deleted, and a
TRUNCATE (Django's test flush). A word no organisation holds any more stays in the
vocabulary, matching nothing. A later migration that drops `search_text` or `name` has to
drop the update trigger first (it names both columns).
"""

from django.db import migrations

CREATE = r"""
CREATE TABLE cooperatives_search_word (word text PRIMARY KEY);
CREATE INDEX cooperatives_search_word_trgm ON cooperatives_search_word
    USING gin (word gin_trgm_ops);
CREATE TABLE cooperatives_search_posting (
    word text NOT NULL,
    organisation_id bigint NOT NULL,
    flags smallint NOT NULL,
    name text NOT NULL
);
-- Covering: a word's postings are read from the index alone, side by side (from the
-- table, 11,946 postings of one word lay on 8,769 pages: 23 against 1.4 ms).
CREATE INDEX cooperatives_search_posting_word ON cooperatives_search_posting (word)
    INCLUDE (organisation_id, flags, name);
CREATE INDEX cooperatives_search_posting_organisation
    ON cooperatives_search_posting (organisation_id);

-- The words of these organisations, with where each stands and the name beside it.
CREATE FUNCTION reless_words_of(ids bigint[])
    RETURNS TABLE (word text, organisation_id bigint, flags smallint, name text)
    LANGUAGE sql STABLE AS $$
    SELECT w.word, o.id,
           bit_or((CASE WHEN f.field = w.word THEN 1 ELSE 0 END)
                  | (CASE WHEN f.position = 1 AND w.position = 1 THEN 2 ELSE 0 END)
                  | (CASE WHEN f.position = 1 THEN 4 ELSE 0 END))::smallint,
           o.name
    FROM cooperatives_organisation o,
         LATERAL unnest(string_to_array(o.search_text, E'\x1f'))
             WITH ORDINALITY AS f(field, position),
         LATERAL unnest(string_to_array(f.field, ' ')) WITH ORDINALITY AS w(word, position)
    WHERE o.id IN (SELECT unnest(ids)) AND w.word <> ''
    GROUP BY w.word, o.id, o.name
$$;

CREATE FUNCTION reless_index_words(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cooperatives_search_posting
        WHERE organisation_id IN (SELECT unnest(ids));
    -- Its own statement, in a fixed order: a word another transaction adds meanwhile is
    -- waited for, then left to it; the postings do not read the vocabulary.
    INSERT INTO cooperatives_search_word (word)
        SELECT DISTINCT word FROM reless_words_of(ids) ORDER BY word
        ON CONFLICT DO NOTHING;
    INSERT INTO cooperatives_search_posting (word, organisation_id, flags, name)
        SELECT * FROM reless_words_of(ids);
END $$;

CREATE FUNCTION reless_words_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reless_index_words(ARRAY(SELECT id FROM inserted));
    RETURN NULL;
END $$;
CREATE FUNCTION reless_words_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM reless_index_words(ARRAY[NEW.id]);
    RETURN NULL;
END $$;
CREATE FUNCTION reless_words_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cooperatives_search_posting
        WHERE organisation_id IN (SELECT id FROM deleted);
    RETURN NULL;
END $$;
CREATE FUNCTION reless_words_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE cooperatives_search_posting, cooperatives_search_word;
    RETURN NULL;
END $$;

CREATE TRIGGER reless_words_inserted AFTER INSERT ON cooperatives_organisation
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION reless_words_inserted();
CREATE TRIGGER reless_words_updated AFTER UPDATE ON cooperatives_organisation
    FOR EACH ROW
    WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text OR OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION reless_words_updated();
CREATE TRIGGER reless_words_deleted AFTER DELETE ON cooperatives_organisation
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION reless_words_deleted();
CREATE TRIGGER reless_words_truncated AFTER TRUNCATE ON cooperatives_organisation
    FOR EACH STATEMENT EXECUTE FUNCTION reless_words_truncated();

SELECT reless_index_words(ARRAY(SELECT id FROM cooperatives_organisation));
ANALYZE cooperatives_search_word;
ANALYZE cooperatives_search_posting;
"""

DROP = """
DROP TRIGGER IF EXISTS reless_words_inserted ON cooperatives_organisation;
DROP TRIGGER IF EXISTS reless_words_updated ON cooperatives_organisation;
DROP TRIGGER IF EXISTS reless_words_deleted ON cooperatives_organisation;
DROP TRIGGER IF EXISTS reless_words_truncated ON cooperatives_organisation;
DROP FUNCTION IF EXISTS reless_words_inserted(), reless_words_updated(),
    reless_words_deleted(), reless_words_truncated(), reless_index_words(bigint[]),
    reless_words_of(bigint[]);
DROP TABLE IF EXISTS cooperatives_search_posting, cooperatives_search_word;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("cooperatives", "0019_employees_help"),
    ]

    operations = [migrations.RunPython(create, drop)]
