#!/usr/bin/env bash
# The blog demo, start to finish, on SQLite (or on DATABASE_URL when it is set):
#   1. remove the previous demo database, so every run starts fresh (the
#      committed migrations in blog/migrations/ are kept: they are the demo);
#   2. manouche makemigrations: the committed migrations match the models, so it
#      says "No changes detected" (edit blog/models.py and run again to see it
#      write 0003_...);
#   3. manouche migrate, with its progress per migration;
#   4. manouche showmigrations --graph mermaid: the dependency graph;
#   5. python queries.py: everyday queries, printed.
# Run it from anywhere (scripts/demo does, after installing manouche into .venv).
# The first failing step stops the demo; manouche says what is wrong in one line.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== %s\n' "$*"; }

if [ -z "${DATABASE_URL:-}" ] && [ ! -w . ]; then
  echo "run.sh: cannot write in $PWD, where the demo database blog.sqlite3 goes; run the demo from a copy you can write to (or set DATABASE_URL)" >&2
  exit 1
fi

step "fresh start: removing the previous demo database (blog.sqlite3)"
rm -f blog.sqlite3 blog.sqlite3-journal blog.sqlite3-wal blog.sqlite3-shm blog.sqlite3.migrate-lock

step "manouche makemigrations"
manouche makemigrations

step "manouche migrate"
manouche migrate

step "manouche showmigrations --graph mermaid"
manouche showmigrations --graph mermaid

step "python queries.py"
python queries.py
