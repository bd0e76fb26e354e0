"""The raw drivers (sqlite3, psycopg, pymysql) doing each workload's work by hand: the baseline."""

from __future__ import annotations

import datetime

from bench.dataset import person_rows
from bench.workloads import FILTER_MIN_PAGES, aggregate_thresholds, filter_author_ids, get_pks

from .base import Implementation

__all__ = ["Raw"]

BOOK_COLUMNS = "id, author_id, title, isbn, pages, rating, published"


class Raw(Implementation):
    """The database's own Python driver, values converted to what the ORMs return."""

    def setup(self, env) -> None:
        super().setup(env)
        self.name = {"sqlite": "sqlite3", "postgresql": "psycopg", "mysql": "pymysql"}[env.vendor]
        self.raw = env.raw_connect()
        self.vendor = env.vendor
        self.mark = "?" if env.vendor == "sqlite" else "%s"
        # SQLite stores dates as text: the ORMs parse them, so the baseline does too.
        self.parse_date = datetime.date.fromisoformat if env.vendor == "sqlite" else None

    def teardown(self) -> None:
        self.raw.close()

    def _books(self, rows):
        parse = self.parse_date
        if parse is None:
            return rows
        return [(a, b, c, d, e, f, parse(g)) for a, b, c, d, e, f, g in rows]

    def insert_one(self, sizes):
        cursor = self.raw.cursor()
        m = self.mark
        sql = f"INSERT INTO bench_person (name, email, age, score) VALUES ({m}, {m}, {m}, {m})"
        returning = self.vendor == "postgresql"
        if returning:
            sql += " RETURNING id"
        created = []
        cursor.execute("BEGIN")
        for row in person_rows(sizes.insert_one):
            cursor.execute(sql, row)
            pk = cursor.fetchone()[0] if returning else cursor.lastrowid
            created.append((pk, *row))
        cursor.execute("COMMIT")
        return created

    def normalize_insert_one(self, result, env):
        return result

    def bulk_insert(self, sizes):
        cursor = self.raw.cursor()
        m = self.mark
        rows = person_rows(sizes.bulk_insert)
        cursor.execute("BEGIN")
        if self.vendor == "sqlite":
            cursor.executemany(
                f"INSERT INTO bench_person (name, email, age, score) VALUES ({m}, {m}, {m}, {m})",
                rows,
            )
        else:
            # What the ORMs do on servers: multi-row VALUES in batches.
            for start in range(0, len(rows), 1000):
                batch = rows[start:start + 1000]
                values = ", ".join([f"({m}, {m}, {m}, {m})"] * len(batch))
                cursor.execute(
                    f"INSERT INTO bench_person (name, email, age, score) VALUES {values}",
                    [value for row in batch for value in row],
                )
        cursor.execute("COMMIT")
        return None

    def load(self, sizes):
        cursor = self.raw.cursor()
        cursor.execute(f"SELECT {BOOK_COLUMNS} FROM bench_book")
        return self._books(cursor.fetchall())

    def normalize_load(self, result, env):
        return list(result)

    def get_by_pk(self, sizes):
        cursor = self.raw.cursor()
        sql = f"SELECT {BOOK_COLUMNS} FROM bench_book WHERE id = {self.mark}"
        parse = self.parse_date
        found = []
        for pk in get_pks(sizes):
            cursor.execute(sql, (pk,))
            row = cursor.fetchone()
            if parse is not None:
                row = (*row[:6], parse(row[6]))
            found.append(row)
        return found

    def normalize_get_by_pk(self, result, env):
        return list(result)

    def filter_order_limit(self, sizes):
        cursor = self.raw.cursor()
        m = self.mark
        sql = (
            f"SELECT {BOOK_COLUMNS} FROM bench_book WHERE author_id = {m} AND pages >= {m} "
            "ORDER BY published DESC, id ASC LIMIT 10"
        )
        pages = []
        for author_id in filter_author_ids(sizes):
            cursor.execute(sql, (author_id, FILTER_MIN_PAGES))
            pages.append(self._books(cursor.fetchall()))
        return pages

    def normalize_filter_order_limit(self, result, env):
        return [[row[0] for row in page] for page in result]

    def fk_join(self, sizes):
        cursor = self.raw.cursor()
        cursor.execute(
            "SELECT b.id, b.author_id, b.title, b.isbn, b.pages, b.rating, b.published, "
            "a.id, a.name, a.email, a.age FROM bench_book b "
            f"INNER JOIN bench_author a ON a.id = b.author_id ORDER BY b.id LIMIT {sizes.fk_join}"
        )
        parse = self.parse_date
        if parse is None:
            return cursor.fetchall()
        return [(*row[:6], parse(row[6]), *row[7:]) for row in cursor.fetchall()]

    def normalize_fk_join(self, result, env):
        return [(row[0], row[2], row[7], row[8]) for row in result]

    def m2m_prefetch(self, sizes):
        cursor = self.raw.cursor()
        cursor.execute(
            f"SELECT {BOOK_COLUMNS} FROM bench_book ORDER BY id LIMIT {sizes.prefetch}"
        )
        books = self._books(cursor.fetchall())
        ids = [row[0] for row in books]
        marks = ", ".join([self.mark] * len(ids))
        cursor.execute(
            "SELECT bt.book_id, t.id, t.name FROM bench_tag t INNER JOIN bench_book_tags bt "
            f"ON bt.tag_id = t.id WHERE bt.book_id IN ({marks})",
            ids,
        )
        tags: dict[int, list] = {}
        for book_id, tag_id, name in cursor.fetchall():
            tags.setdefault(book_id, []).append((tag_id, name))
        return [(row, tags.get(row[0], [])) for row in books]

    def normalize_m2m_prefetch(self, result, env):
        return [(row[0], sorted(name for _, name in tags)) for row, tags in result]

    def aggregate(self, sizes):
        cursor = self.raw.cursor()
        sql = (
            "SELECT COUNT(id), AVG(rating), MAX(pages) FROM bench_book "
            f"WHERE pages >= {self.mark}"
        )
        results = []
        for bound in aggregate_thresholds(sizes):
            cursor.execute(sql, (bound,))
            results.append(cursor.fetchone())
        return results

    def update(self, sizes):
        cursor = self.raw.cursor()
        cursor.execute(
            f"UPDATE bench_book SET isbn = {self.mark} WHERE id <= {self.mark}",
            (self.env.next_isbn(), sizes.update_rows),
        )
        return cursor.rowcount

    def delete(self, sizes):
        cursor = self.raw.cursor()
        m = self.mark
        cursor.execute("BEGIN")
        cursor.execute(
            "DELETE FROM bench_book_tags WHERE book_id IN "
            f"(SELECT id FROM bench_book WHERE id <= {m})",
            (sizes.delete,),
        )
        total = cursor.rowcount
        cursor.execute(f"DELETE FROM bench_book WHERE id <= {m}", (sizes.delete,))
        total += cursor.rowcount
        cursor.execute("COMMIT")
        return total

    def iterator(self, sizes):
        if self.vendor == "postgresql":
            cursor = self.raw.cursor(name="bench_events")
            self.raw.cursor().execute("BEGIN")
        elif self.vendor == "mysql":
            import pymysql.cursors

            cursor = self.raw.cursor(pymysql.cursors.SSCursor)
        else:
            cursor = self.raw.cursor()
        cursor.execute("SELECT id, kind, value, weight FROM bench_event")
        count = total = 0
        weight = 0.0
        while True:
            rows = cursor.fetchmany(2000)
            if not rows:
                break
            for row in rows:
                count += 1
                total += row[2]
                weight += row[3]
        cursor.close()
        if self.vendor == "postgresql":
            self.raw.cursor().execute("COMMIT")
        return (count, total, weight)
